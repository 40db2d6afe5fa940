namespace FacePlatform.ReliabilityTests;

/// <summary>
/// The platform the reliability suite attacks: the four services as processes, as <c>deploy/local/up.sh</c> runs them,
/// on a fresh database of the real PostgreSQL and the real Redis.
/// </summary>
public sealed class ReliabilityPlatform : PlatformFixture
{
    /// <summary>Requests per second one client address may make without a recently valid key (AbuseTests).</summary>
    public const int AddressRequestsPerSecond = 20;

    /// <summary>Burst of <see cref="AddressRequestsPerSecond"/>.</summary>
    public const int AddressBurst = 100;

    protected override void Configure(string service, IDictionary<string, string> environment)
    {
        if (service == "Gateway")
        {
            // The suite sends thousands of requests with one key (fuzzing, load); the per-key and per-tenant limits are
            // not what it tests, the address budget before authentication is (AbuseTests).
            environment["RateLimit__RequestsPerSecond"] = "100000";
            environment["RateLimit__Burst"] = "100000";
            environment["RateLimit__TenantRequestsPerSecond"] = "100000";
            environment["RateLimit__TenantBurst"] = "100000";
            environment["RateLimit__AddressRequestsPerSecond"] = AddressRequestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment["RateLimit__AddressBurst"] = AddressBurst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>The reliability tests share one running platform and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ReliabilityCollection : ICollectionFixture<ReliabilityPlatform>
{
    public const string Name = "reliability";
}
