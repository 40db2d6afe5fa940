namespace FacePlatform.ReliabilityTests;

/// <summary>
/// The platform the reliability suite attacks: the four services as processes, as <c>deploy/local/up.sh</c> runs them,
/// on a fresh database of the real PostgreSQL and the real Redis.
/// </summary>
public sealed class ReliabilityPlatform : PlatformFixture;

/// <summary>The reliability tests share one running platform and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ReliabilityCollection : ICollectionFixture<ReliabilityPlatform>
{
    public const string Name = "reliability";
}
