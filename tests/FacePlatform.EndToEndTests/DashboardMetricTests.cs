using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// The Grafana dashboards and Prometheus alert rules query only metrics that the running services really export:
/// every series name they use (tests/deploy/metric-names.mjs extracts them) must appear on some service's /metrics.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed partial class DashboardMetricTests(PlatformFixture platform)
{
    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{| )", RegexOptions.Multiline)]
    private static partial Regex SeriesName();

    [Fact]
    public async Task Every_metric_a_dashboard_or_alert_queries_is_exported_by_a_running_service()
    {
        // Exercise the platform so request, client and cache series exist, as they do on any live deployment.
        var (_, key) = await platform.NewTenantAsync();
        using (await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key)))
        {
        }

        using (await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", "fp_not-a-key")))
        {
        }

        using (await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{Guid.NewGuid()}", key)))
        {
        }

        // Analyse twice with a collection: inference, batches, queues, faces per photo, search and both caches.
        using (var created = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key, new { name = "metrics" })))
        {
            var collection = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString()!;
            for (var i = 0; i < 2; i++)
            {
                using var request = PlatformFixture.Request(HttpMethod.Post, "/v1/analyze", key);
                request.Content = Photos.Form(Photos.TwoPeople, "image", ("collection", collection));
                using var answer = await platform.Http.SendAsync(request);
                Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
            }
        }

        var exported = new HashSet<string>(StringComparer.Ordinal);
        using var http = new HttpClient();
        foreach (var service in platform.Services)
        {
            var text = await http.GetStringAsync(new Uri(service.HttpAddress, "/metrics"));
            exported.UnionWith(SeriesName().Matches(text).Select(m => m.Groups[1].Value));
        }

        var queried = await QueriedNamesAsync();

        Assert.NotEmpty(queried);
        // Metrics of exporters that do not run here (DCGM's GPU metrics) are named, with the reason, in one list.
        var missing = queried.Where(name => !exported.Contains(name))
            .Where(name => !DashboardQueryTests.AbsentExporters.Keys.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();
        Assert.True(missing.Count == 0,
            $"dashboards or alerts query metrics no service exports: {string.Join(", ", missing)}");
    }

    private static async Task<List<string>> QueriedNamesAsync()
    {
        var script = Path.Combine(RepositoryPaths.Root, "tests", "deploy", "metric-names.mjs");
        var start = new ProcessStartInfo("node", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"metric-names.mjs failed: {errors}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }
}
