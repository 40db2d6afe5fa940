using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package; tests/deploy/check.sh installs it through deploy/local/lib.sh)
/// scraping the platform's services every second, with its own configuration and data folder under the temp folder and
/// a free loopback port. Jobs are named as on Kubernetes (<c>faceplatform-gateway</c> …) and every target carries
/// <c>namespace=<see cref="Namespace"/></c>, as the prometheus-operator labels a release's series. It loads
/// deploy/prometheus/alerts.yaml, so a rule file Prometheus refuses stops it from starting.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string folder, int port, string ns)
    {
        _process = process;
        _folder = folder;
        Namespace = ns;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The namespace label of every scraped series.</summary>
    public string Namespace { get; }

    /// <summary>Prometheus's own log (stderr and stdout), for failure messages.</summary>
    public string LogPath => Path.Combine(_folder, "prometheus.log");

    /// <summary>The Prometheus job of a service, as the chart's ServiceMonitors name it.</summary>
    public static string Job(ServiceProcess service) => "faceplatform-" + service.Name.ToLowerInvariant();

    /// <summary>Starts Prometheus scraping <paramref name="services"/>' /metrics and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<ServiceProcess> services, string ns)
    {
        var binary = FindOnPath("prometheus") ?? throw new InvalidOperationException(
            "the prometheus binary is not on PATH: install Debian's prometheus package (tests/deploy/check.sh does, " +
            "through deploy/local/lib.sh require_prometheus)");
        var folder = Path.Combine(Path.GetTempPath(), "faceplatform-prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var config = new StringBuilder();
        config.AppendLine("global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}");
        config.AppendLine($"rule_files: [\"{Path.Combine(RepositoryPaths.Root, "deploy", "prometheus", "alerts.yaml")}\"]");
        config.AppendLine("scrape_configs:");
        foreach (var service in services)
        {
            config.AppendLine($"  - job_name: {Job(service)}");
            config.AppendLine($"    static_configs: [{{targets: [\"127.0.0.1:{service.HttpPort}\"], labels: {{namespace: {ns}}}}}]");
        }

        var configPath = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config.ToString());
        var port = Processes.FreePort();
        var start = new ProcessStartInfo(binary)
        {
            ArgumentList =
            {
                $"--config.file={configPath}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        var server = new PrometheusServer(process, folder, port, ns);
        var log = new StreamWriter(server.LogPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        for (var attempt = 0; attempt < 150; attempt++)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var ready = await server._http.GetAsync("/-/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        await server.DisposeAsync();
        throw new InvalidOperationException($"prometheus was not ready after 30 s (exited: {process.HasExited}); config:\n{config}");
    }

    /// <summary>Waits until every target has been scraped successfully; false with the targets' states otherwise.</summary>
    public async Task<(bool AllUp, string States)> WaitForTargetsUpAsync(int expected, TimeSpan timeout)
    {
        var states = "";
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            var answer = await _http.GetFromJsonAsync<JsonElement>("/api/v1/targets?state=active");
            var targets = answer.GetProperty("data").GetProperty("activeTargets").EnumerateArray().ToList();
            states = string.Join("; ", targets.Select(t =>
                $"{t.GetProperty("labels").GetProperty("job").GetString()} {t.GetProperty("health").GetString()} {t.GetProperty("lastError").GetString()}"));
            if (targets.Count == expected && targets.All(t => t.GetProperty("health").GetString() == "up"))
            {
                return (true, states);
            }

            await Task.Delay(500);
        }

        return (false, states);
    }

    /// <summary><c>label_values(selector, label)</c> as Grafana asks it.</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string selector)
    {
        var answer = await _http.GetFromJsonAsync<JsonElement>(
            $"/api/v1/label/{Uri.EscapeDataString(label)}/values?match[]={Uri.EscapeDataString(selector)}");
        return answer.GetProperty("data").EnumerateArray().Select(v => v.GetString()!).ToList();
    }

    /// <summary>An instant query now: the number of series, or the error Prometheus gave.</summary>
    public async Task<(int Series, string? Error)> QueryAsync(string expr)
    {
        using var response = await _http.PostAsync("/api/v1/query", new FormUrlEncodedContent(
            [new("query", expr), new("time", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))]));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (answer.GetProperty("status").GetString() != "success")
        {
            return (0, $"{answer.GetProperty("errorType").GetString()}: {answer.GetProperty("error").GetString()}");
        }

        var data = answer.GetProperty("data");
        return data.GetProperty("resultType").GetString() switch
        {
            "vector" or "matrix" => (data.GetProperty("result").GetArrayLength(), null),
            var other => (1, $"a {other}, not a vector: a panel needs series"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Path.Combine(_folder, "data"), recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder; the configuration and log stay there for inspection anyway.
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
