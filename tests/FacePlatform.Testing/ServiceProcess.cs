using System.Diagnostics;
using System.Reflection;
namespace FacePlatform.Testing;

/// <summary>
/// One FacePlatform service run as its own process from its build output, as <c>deploy/local/up.sh</c> runs it.
/// Its console goes to <c>tests/artifacts/e2e/NAME.log</c>. An internal service (<paramref name="grpcOverTls"/>)
/// serves gRPC over mutual TLS (<c>https://</c>); the gateway's public gRPC is h2c.
/// </summary>
public sealed class ServiceProcess(string name, int grpcPort, int httpPort, IReadOnlyDictionary<string, string> environment, bool grpcOverTls = false)
    : IAsyncDisposable
{
    private Process? _process;
    private StreamWriter? _log;

    public string Name { get; } = name;

    public int GrpcPort { get; } = grpcPort;

    public int HttpPort { get; } = httpPort;

    /// <summary>The operating system's id of the running process (null before start); for sampling /proc.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}");

    public Uri GrpcAddress => new($"{(grpcOverTls ? "https" : "http")}://127.0.0.1:{GrpcPort}");

    public static string Configuration =>
        Environment.GetEnvironmentVariable("FACEPLATFORM_CONFIGURATION")
        ?? typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
        ?? "Debug";

    public void Start()
    {
        var directory = Path.Combine(RepositoryPaths.Root, "services", $"FacePlatform.{Name}", "bin", Configuration, "net10.0");
        var assembly = Path.Combine(directory, $"FacePlatform.{Name}.dll");
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException(
                $"{assembly} is missing: build the solution first (dotnet build -c {Configuration}; tests/run.sh does)");
        }

        var logDirectory = Path.Combine(RepositoryPaths.Root, "tests", "artifacts", "e2e");
        Directory.CreateDirectory(logDirectory);
        _log = new StreamWriter(Path.Combine(logDirectory, $"{Name.ToLowerInvariant()}.log"), append: true) { AutoFlush = true };

        var start = new ProcessStartInfo("dotnet", [assembly])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Kestrel__Endpoints__Grpc__Url"] = GrpcAddress.ToString().TrimEnd('/');
        start.Environment["Kestrel__Endpoints__Http__Url"] = HttpAddress.ToString().TrimEnd('/');
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start");
        _process.OutputDataReceived += (_, line) => Write(line.Data);
        _process.ErrorDataReceived += (_, line) => Write(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits until <c>/readyz</c> answers 200; fails with the service's log when it does not in time.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        var last = "no answer";
        while (clock.Elapsed < timeout)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}; see tests/artifacts/e2e/{Name.ToLowerInvariant()}.log");
            }

            try
            {
                var answer = await http.GetAsync(new Uri(HttpAddress, "/readyz"));
                if (answer.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}";
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
            {
                // Not listening yet, or too busy to answer within the probe's own timeout: ask again.
                last = exception.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} was not ready after {timeout.TotalSeconds} s: {last}");
    }

    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        // SIGTERM, as Kubernetes and down.sh stop a service: ASP.NET Core shuts down gracefully.
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>
    /// Kills the process with SIGKILL (what <see cref="Process.Kill()"/> sends on Linux), as the OOM killer or a lost
    /// node would: no shutdown code runs, in-flight calls are cut. <see cref="Start"/> starts it again on the same ports.
    /// </summary>
    public void Kill()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_log is not null)
        {
            await _log.DisposeAsync();
        }
    }

    private void Write(string? line)
    {
        if (line is not null)
        {
            lock (this)
            {
                _log?.WriteLine(line);
            }
        }
    }
}
