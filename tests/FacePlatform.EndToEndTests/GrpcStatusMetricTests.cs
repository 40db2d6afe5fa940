using System.Globalization;
using System.Text.RegularExpressions;
using FacePlatform.Contracts.Face.V1;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// A failed gRPC call shows on /metrics with its gRPC status (<c>rpc_grpc_status_code</c>, the numeric code as
/// OpenTelemetry's semantic conventions say: NOT_FOUND is "5"), on the gateway's server and client series and on the
/// internal service's server series; the histograms have the platform's call buckets, not OpenTelemetry's defaults.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed partial class GrpcStatusMetricTests(PlatformFixture platform)
{
    private const string NotFound = "5";

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Series();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();

    [Fact]
    public async Task A_not_found_grpc_call_is_counted_with_its_status_on_the_gateway_and_on_identity()
    {
        var (_, key) = await platform.NewTenantAsync();
        var gatewayServer = new Dictionary<string, string>
        {
            ["rpc_system"] = "grpc", ["rpc_service"] = "faceplatform.face.v1.FaceService", ["rpc_method"] = "GetCollection",
            ["rpc_grpc_status_code"] = NotFound,
        };
        var gatewayClient = new Dictionary<string, string>
        {
            ["rpc_system"] = "grpc", ["rpc_service"] = "faceplatform.internal.v1.IdentityService", ["rpc_grpc_status_code"] = NotFound,
        };
        var identityServer = new Dictionary<string, string>
        {
            ["rpc_service"] = "faceplatform.internal.v1.IdentityService", ["rpc_grpc_status_code"] = NotFound,
        };
        var before = (
            Server: Count(await ScrapeAsync(platform.Gateway), "rpc_server_duration_seconds_count", gatewayServer),
            Client: Count(await ScrapeAsync(platform.Gateway), "rpc_client_duration_seconds_count", gatewayClient),
            Identity: Count(await ScrapeAsync(platform.Identity), "rpc_server_duration_seconds_count", identityServer));

        var failure = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.GetCollectionAsync(
            new GetCollectionRequest { CollectionId = Guid.NewGuid().ToString() }, PlatformFixture.WithKey(key)).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, failure.StatusCode);
        Assert.True(await CountReachesAsync(platform.Gateway, "rpc_server_duration_seconds_count", gatewayServer, before.Server + 1),
            "the gateway's FaceService/GetCollection NOT_FOUND was not counted");
        Assert.True(await CountReachesAsync(platform.Gateway, "rpc_client_duration_seconds_count", gatewayClient, before.Client + 1),
            "the gateway's call to identity ending NOT_FOUND was not counted");
        Assert.True(await CountReachesAsync(platform.Identity, "rpc_server_duration_seconds_count", identityServer, before.Identity + 1),
            "identity's NOT_FOUND answer was not counted");

        // Buckets: 7.5 ms is one of the platform's call boundaries and none of OpenTelemetry's defaults (0, 5, 10, 25 …).
        var gateway = await ScrapeAsync(platform.Gateway);
        Assert.Contains(Parse(gateway), s => s.Name == "rpc_server_duration_seconds_bucket" && s.Labels.GetValueOrDefault("le") == "0.0075");
        Assert.Contains(Parse(gateway), s => s.Name == "http_server_request_duration_seconds_bucket" && s.Labels.GetValueOrDefault("le") == "0.0075");
    }

    /// <summary>
    /// Whether the count reaches <paramref name="atLeast"/>. The Prometheus exporter answers a scrape from a copy up to
    /// 300 ms old (its ScrapeResponseCacheDurationMilliseconds), so a scrape right after the call may not show it yet:
    /// scrape again for a while rather than fail on the cached copy.
    /// </summary>
    internal static async Task<bool> CountReachesAsync(ServiceProcess service, string name, Dictionary<string, string> want, double atLeast)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (Count(await ScrapeAsync(service), name, want) >= atLeast)
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }

    internal static async Task<string> ScrapeAsync(ServiceProcess service)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(service.HttpAddress, "/metrics"));
    }

    /// <summary>Sum of the series named <paramref name="name"/> whose labels include all of <paramref name="want"/>.</summary>
    internal static double Count(string metrics, string name, Dictionary<string, string> want) =>
        Parse(metrics)
            .Where(s => s.Name == name && want.All(w => s.Labels.GetValueOrDefault(w.Key) == w.Value))
            .Sum(s => s.Value);

    private static List<(string Name, Dictionary<string, string> Labels, double Value)> Parse(string metrics) =>
        Series().Matches(metrics)
            .Select(m => (
                m.Groups["name"].Value,
                Label().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value),
                double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
            .ToList();
}
