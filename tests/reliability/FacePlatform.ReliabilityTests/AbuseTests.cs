using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Grpc.Core;
using Xunit.Abstractions;

namespace FacePlatform.ReliabilityTests;

/// <summary>
/// Failed authentication costs the abuser, not identity: random keys from one address meet 429 with Retry-After once
/// the address's budget is spent, and identity is asked about at most that budget of them (read from the gateway's
/// own count of key look-ups on <c>/metrics</c>).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed partial class AbuseTests(ReliabilityPlatform platform, ITestOutputHelper output)
{
    [Fact]
    public async Task Random_keys_from_one_address_get_429_after_its_budget_and_cost_identity_at_most_that_budget()
    {
        const int attempts = 300;
        await WaitForFullBudgetAsync();
        var before = await KeyLookupsAsync("unknown");
        var clock = Stopwatch.StartNew();
        var statuses = new List<(HttpStatusCode Status, TimeSpan? RetryAfter, string Body)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, attempts), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, cancellationToken) =>
        {
            using var answer = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", RandomKey()), cancellationToken);
            var body = await answer.Content.ReadAsStringAsync(cancellationToken);
            lock (statuses)
            {
                statuses.Add((answer.StatusCode, answer.Headers.RetryAfter?.Delta, body));
            }
        });
        var elapsed = clock.Elapsed;
        var lookups = await KeyLookupsAsync("unknown") - before;

        var refused = statuses.Where(s => s.Status == HttpStatusCode.TooManyRequests).ToList();
        var unauthorized = statuses.Count(s => s.Status == HttpStatusCode.Unauthorized);
        // The budget a client had while sending: the burst plus what refilled meanwhile (rounded up, plus one period).
        var budget = ReliabilityPlatform.AddressBurst + (ReliabilityPlatform.AddressRequestsPerSecond * ((int)Math.Ceiling(elapsed.TotalSeconds) + 1));
        output.WriteLine($"{attempts} random keys in {elapsed.TotalSeconds:F1} s: {unauthorized} × 401, {refused.Count} × 429, " +
            $"{lookups} identity look-ups (budget {budget})");

        Assert.Equal(attempts, unauthorized + refused.Count);
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.True(r.RetryAfter is { TotalSeconds: >= 1 }, "a 429 without Retry-After"));
        Assert.Contains("retry after", refused[0].Body, StringComparison.Ordinal);
        Assert.InRange(lookups, 1, budget);
        Assert.True(lookups <= unauthorized, $"{lookups} look-ups for {unauthorized} answered keys");
        await WaitForFullBudgetAsync();
    }

    [Fact]
    public async Task A_repeated_unknown_key_costs_one_identity_look_up_and_a_malformed_one_none()
    {
        await WaitForFullBudgetAsync();
        var unknown = RandomKey();
        var before = await KeyLookupsAsync("unknown");
        for (var i = 0; i < 10; i++)
        {
            using var answer = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", unknown));
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        }

        foreach (var malformed in new[] { "short", new string('k', 300), "fp_has space inside the key" })
        {
            using var answer = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", malformed));
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        }

        Assert.Equal(1, await KeyLookupsAsync("unknown") - before);
    }

    [Fact]
    public async Task An_exhausted_address_gets_RESOURCE_EXHAUSTED_over_gRPC_with_the_wait_in_the_message()
    {
        await WaitForFullBudgetAsync();
        var statuses = new List<RpcException>();
        for (var i = 0; i < ReliabilityPlatform.AddressBurst * 3 && !statuses.Any(s => s.StatusCode == StatusCode.ResourceExhausted); i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() =>
                platform.FaceClient.ListCollectionsAsync(new ListCollectionsRequest(), PlatformFixture.WithKey(RandomKey())).ResponseAsync);
            statuses.Add(error);
        }

        var exhausted = Assert.Single(statuses, s => s.StatusCode == StatusCode.ResourceExhausted);
        Assert.All(statuses.Where(s => s != exhausted), s => Assert.Equal(StatusCode.Unauthenticated, s.StatusCode));
        Assert.Matches("retry after [0-9]+ s", exhausted.Status.Detail);
        Assert.NotNull(exhausted.Trailers.GetValue("retry-after"));
        await WaitForFullBudgetAsync();
    }

    /// <summary>A key of the right shape that identity never made.</summary>
    private static string RandomKey() => "fp_" + Convert.ToBase64String(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray())
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Waits until the address budget has refilled, so that these tests neither start short of it nor leave the next
    /// test of the suite without it: a request with no key is answered 401 again, not 429.
    /// </summary>
    private async Task WaitForFullBudgetAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Ceiling((double)ReliabilityPlatform.AddressBurst / ReliabilityPlatform.AddressRequestsPerSecond)));
        using var answer = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", null));
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
    }

    /// <summary>The gateway's count of key look-ups in identity with this answer (Prometheus text on <c>/metrics</c>).</summary>
    private async Task<long> KeyLookupsAsync(string result)
    {
        // The Prometheus exporter answers a scrape from its cache for up to 300 ms; a second later it counts afresh.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var text = await platform.Http.GetStringAsync("/metrics");
        return LookupSeries().Matches(text)
            .Where(m => m.Groups["labels"].Value.Contains($"faceplatform_auth_result=\"{result}\"", StringComparison.Ordinal))
            .Sum(m => (long)double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^faceplatform_auth_key_lookups_total\{(?<labels>[^}]*)\} (?<value>[0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex LookupSeries();
}
