using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// Every query of every Grafana dashboard (deploy/grafana/*.json, the files the chart ships) returns series from a real
/// Prometheus scraping the running platform after some traffic, with the dashboard's variables as Grafana fills them:
/// <c>$namespace</c> and <c>$instance</c> from the variables' own <c>label_values</c> queries, <c>$__rate_interval</c>
/// one minute. A query that returns nothing shows "No data" to the operator; one naming a metric of an exporter that is
/// not here must be in <see cref="AbsentExporters"/> with the reason, and must still parse.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class DashboardQueryTests(PlatformFixture platform)
{
    /// <summary>Metric name prefixes of exporters that do not run beside the tests, with the reason.</summary>
    internal static readonly IReadOnlyDictionary<string, string> AbsentExporters = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DCGM_FI_"] = "GPU metrics of the NVIDIA DCGM exporter, which runs only on GPU nodes; no GPU and no exporter here",
    };

    private const string Namespace = "e2e";
    private const string RateInterval = "1m";

    [Fact]
    public async Task Every_dashboard_query_returns_series_from_prometheus_scraping_the_platform()
    {
        var dashboards = Dashboards.Load();
        Assert.NotEmpty(dashboards);
        await using var prometheus = await PrometheusServer.StartAsync(platform.Services, Namespace);
        var (allUp, states) = await prometheus.WaitForTargetsUpAsync(platform.Services.Count, TimeSpan.FromSeconds(60));
        Assert.True(allUp, $"not every service was scraped: {states}");

        await DriveTrafficAsync();

        var failures = new List<string>();
        var pending = new List<(Dashboard Dashboard, Query Query, string Expr)>();
        foreach (var dashboard in dashboards)
        {
            // The variables, as Grafana resolves them from their label_values queries.
            var namespaces = await prometheus.LabelValuesAsync("namespace", dashboard.Variables["namespace"].Selector);
            if (!namespaces.SequenceEqual([Namespace]))
            {
                failures.Add($"{dashboard.File}: $namespace offers [{string.Join(", ", namespaces)}], expected [{Namespace}]");
                continue;
            }

            var instanceSelector = dashboard.Variables["instance"].Selector.Replace("$namespace", Namespace, StringComparison.Ordinal);
            var instances = await prometheus.LabelValuesAsync("instance", instanceSelector);
            if (instances.Count == 0)
            {
                failures.Add($"{dashboard.File}: $instance offers nothing ({instanceSelector})");
                continue;
            }

            // Grafana's regex format for a multi-value variable: escaped values joined by |, inside a PromQL string.
            var instance = string.Join("|", instances.Select(i => i.Replace(".", @"\\.", StringComparison.Ordinal)));
            foreach (var query in dashboard.Queries)
            {
                var expr = query.Expr
                    .Replace("$__rate_interval", RateInterval, StringComparison.Ordinal)
                    .Replace("$namespace", Namespace, StringComparison.Ordinal)
                    .Replace("$instance", instance, StringComparison.Ordinal);
                Assert.DoesNotContain("$", expr);
                pending.Add((dashboard, query, expr));
            }
        }

        // A series appears at the first scrape after the traffic that creates it, and a rate needs two scrapes: ask
        // again for a while (Prometheus scrapes every second) before calling a query empty.
        var empty = new List<(Dashboard Dashboard, Query Query, string Expr)>();
        var stopwatch = Stopwatch.StartNew();
        while (pending.Count > 0)
        {
            empty.Clear();
            foreach (var item in pending)
            {
                var (series, error) = await prometheus.QueryAsync(item.Expr);
                if (error is not null)
                {
                    failures.Add($"{item.Dashboard.File} / {item.Query.Panel} [{item.Query.RefId}]: {error}\n    {item.Expr}");
                }
                else if (series == 0)
                {
                    empty.Add(item);
                }
            }

            pending = [.. empty];
            if (pending.Count == 0 || stopwatch.Elapsed > TimeSpan.FromSeconds(45))
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        foreach (var (dashboard, query, expr) in pending)
        {
            var allowed = AbsentExporters.FirstOrDefault(a => expr.Contains(a.Key, StringComparison.Ordinal));
            if (allowed.Key is null)
            {
                failures.Add($"{dashboard.File} / {query.Panel} [{query.RefId}]: no series\n    {expr}");
            }
        }

        var total = dashboards.Sum(d => d.Queries.Count);
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {total} dashboard queries failed (Prometheus log: {prometheus.LogPath}):\n{string.Join("\n", failures)}");
    }

    /// <summary>
    /// What a live platform sees: enrolment, searches (twice, so the caches hit), analyses with a collection, a
    /// refused key, a REST 404 and a gRPC NOT_FOUND (the error panels' series).
    /// </summary>
    private async Task DriveTrafficAsync()
    {
        var (_, key) = await platform.NewTenantAsync();
        var collection = await PostJsonAsync("/v1/collections", key, new { name = "dashboards" });
        var subject = await PostJsonAsync($"/v1/collections/{collection}/subjects", key, new { externalId = "obama", displayName = "obama" });
        foreach (var photo in new[] { Photos.Obama1, Photos.Obama2 })
        {
            await SendAsync(HttpMethod.Post, $"/v1/collections/{collection}/subjects/{subject}/faces", key, Photos.Form(photo));
        }

        for (var i = 0; i < 2; i++)
        {
            await SendAsync(HttpMethod.Post, $"/v1/collections/{collection}/search", key, Photos.Form(Photos.ObamaProbe));
            await SendAsync(HttpMethod.Post, "/v1/analyze", key, Photos.Form(Photos.TwoPeople, "image", ("collection", collection)));
        }

        using (var refused = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", "fp_not-a-key")))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var missing = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{Guid.NewGuid()}", key)))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        }

        var failure = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.GetCollectionAsync(
            new GetCollectionRequest { CollectionId = Guid.NewGuid().ToString() }, PlatformFixture.WithKey(key)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, failure.StatusCode);
    }

    private async Task<string> PostJsonAsync(string path, string key, object body)
    {
        using var response = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, path, key, body));
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task SendAsync(HttpMethod method, string path, string key, HttpContent content)
    {
        using var request = PlatformFixture.Request(method, path, key);
        request.Content = content;
        using var response = await platform.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    internal sealed record Query(string Panel, string RefId, string Expr);

    internal sealed record Variable(string Name, string Selector);

    internal sealed record Dashboard(string File, IReadOnlyList<Query> Queries, IReadOnlyDictionary<string, Variable> Variables);

    /// <summary>The committed dashboards: each panel's targets (rows' nested panels included) and query variables.</summary>
    internal static class Dashboards
    {
        public static IReadOnlyList<Dashboard> Load()
        {
            var folder = Path.Combine(RepositoryPaths.Root, "deploy", "grafana");
            return Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(path =>
            {
                using var json = JsonDocument.Parse(File.ReadAllText(path));
                var root = json.RootElement;
                var queries = new List<Query>();
                foreach (var panel in Panels(root.GetProperty("panels")))
                {
                    if (!panel.TryGetProperty("targets", out var targets))
                    {
                        continue;
                    }

                    foreach (var target in targets.EnumerateArray())
                    {
                        queries.Add(new Query(panel.GetProperty("title").GetString()!, target.GetProperty("refId").GetString()!,
                            target.GetProperty("expr").GetString()!));
                    }
                }

                var variables = new Dictionary<string, Variable>(StringComparer.Ordinal);
                foreach (var variable in root.GetProperty("templating").GetProperty("list").EnumerateArray())
                {
                    if (variable.GetProperty("type").GetString() != "query")
                    {
                        continue;
                    }

                    // label_values(<selector>, <label>)
                    var definition = variable.GetProperty("definition").GetString()!;
                    var open = definition.IndexOf('(', StringComparison.Ordinal);
                    var comma = definition.LastIndexOf(',');
                    var name = variable.GetProperty("name").GetString()!;
                    variables[name] = new Variable(name, definition[(open + 1)..comma].Trim());
                }

                return new Dashboard(Path.GetFileName(path), queries, variables);
            }).ToList();
        }

        private static IEnumerable<JsonElement> Panels(JsonElement panels)
        {
            foreach (var panel in panels.EnumerateArray())
            {
                yield return panel;
                if (panel.TryGetProperty("panels", out var nested))
                {
                    foreach (var inner in Panels(nested))
                    {
                        yield return inner;
                    }
                }
            }
        }
    }
}
