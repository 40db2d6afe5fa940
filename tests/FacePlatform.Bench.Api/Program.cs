using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

// Measures the public REST API of a running platform, the way an application uses it:
//   warm single-face analyse: sequential requests after a warm-up -> p50/p95/p99 latency;
//   saturation: N concurrent clients for a while -> photos/s, and the peak resident memory (VmHWM) of each service.
// The analysis cache is bypassed by default (Cache__AnalysisSeconds=0 on the gateway is not required: each request
// sends the photo with one different trailing byte after the JPEG end marker, so its SHA-256 differs).
//
// Usage: dotnet run -c Release --project tests/FacePlatform.Bench.Api -- [--url http://localhost:8080] [--key KEY]
//        [--photo PATH] [--requests 100] [--clients 8] [--seconds 30] [--warmup 30] [--cached] [--data-dir DIR]
// --warmup: untimed requests first (the services' JIT tiers settle over the first tens of calls; 5 left p50 15–35 ms
// higher than a warm run).
// --data-dir: where up.sh keeps the admin key and the pid files (FACEPLATFORM_DATA_DIR, default .data).
//
// Soak (Soak.cs): ... -- --soak [--minutes 30] [--sample 10] [--clients 8] [--pids gateway=PID,identity=PID,...]
// analyse, enrol and search at saturation for --minutes, a CSV row every --sample seconds with the answers per status
// and the resident memory of every process named by DATA_DIR/run/*.pid (or --pids).
var options = Options.Parse(args);
var root = Options.FindRoot();
var dataDir = options.DataDir ?? Environment.GetEnvironmentVariable("FACEPLATFORM_DATA_DIR") ?? Path.Combine(root, ".data");
var key = options.Key ?? File.ReadAllText(Path.Combine(dataDir, "admin-api-key")).Trim();
var photo = File.ReadAllBytes(options.Photo ?? Path.Combine(root, "..", "shared", "data", "faces", "face_recognition",
    "examples", "knn_examples", "train", "obama", "obama.jpg"));
using var http = new HttpClient { BaseAddress = new Uri(options.Url), Timeout = TimeSpan.FromSeconds(60) };
if (options.Soak)
{
    await Soak.RunAsync(options, http, key, photo, dataDir);
    return;
}

var counter = 0;

// A salt per run as well as the counter, so no request of this run repeats one of an earlier run still in the cache.
var salt = BitConverter.GetBytes(Random.Shared.Next());

async Task<double> AnalyseAsync()
{
    var bytes = photo;
    if (!options.Cached)
    {
        var n = Interlocked.Increment(ref counter);
        bytes = [.. photo, .. salt, (byte)n, (byte)(n >> 8), (byte)(n >> 16)];
    }

    using var form = new MultipartFormDataContent();
    var file = new ByteArrayContent(bytes);
    file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
    form.Add(file, "image", "photo.jpg");
    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/analyze") { Content = form };
    request.Headers.Add("X-Api-Key", key);
    var clock = Stopwatch.StartNew();
    using var response = await http.SendAsync(request);
    var body = await response.Content.ReadAsStringAsync();
    clock.Stop();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"analyse failed: {(int)response.StatusCode} {body}");
    }

    return clock.Elapsed.TotalMilliseconds;
}

for (var i = 0; i < options.Warmup; i++)
{
    await AnalyseAsync();
}

var latencies = new List<double>();
for (var i = 0; i < options.Requests; i++)
{
    latencies.Add(await AnalyseAsync());
}

latencies.Sort();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}; photo {photo.Length} bytes; cache {(options.Cached ? "on (same photo)" : "bypassed (distinct bytes)")}; {options.Warmup} warm-up requests");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"warm single-face analyse, sequential, n={latencies.Count}: p50 {Percentile(latencies, 50):F1} ms, p95 {Percentile(latencies, 95):F1} ms, p99 {Percentile(latencies, 99):F1} ms, mean {latencies.Average():F1} ms"));

var stop = DateTime.UtcNow.AddSeconds(options.Seconds);
var done = 0;
var wall = Stopwatch.StartNew();
var clients = Enumerable.Range(0, options.Clients).Select(async _ =>
{
    while (DateTime.UtcNow < stop)
    {
        await AnalyseAsync();
        Interlocked.Increment(ref done);
    }
}).ToList();
await Task.WhenAll(clients);
wall.Stop();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"saturation, {options.Clients} concurrent clients for {wall.Elapsed.TotalSeconds:F0} s: {done / wall.Elapsed.TotalSeconds:F2} photos/s"));

foreach (var (name, pid) in ResidentMemory.Processes(dataDir, options.Pids).Where(p => p.Name != "redis"))
{
    if (ResidentMemory.Kilobytes(pid, "VmRSS") is { } resident)
    {
        Console.WriteLine($"{name}: resident now {resident} kB, peak {ResidentMemory.Kilobytes(pid, "VmHWM")} kB");
    }
}

static double Percentile(List<double> sorted, int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

internal sealed record Options(
    string Url, string? Key, string? Photo, int Requests, int Clients, int Seconds, int Warmup, bool Cached,
    string? DataDir, bool Soak, double Minutes, int SampleSeconds, string? Pids)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }

        int Number(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Options(Value("--url") ?? "http://localhost:8080", Value("--key"), Value("--photo"),
            Number("--requests", 100), Number("--clients", 8), Number("--seconds", 30), Number("--warmup", 30), args.Contains("--cached"),
            Value("--data-dir"), args.Contains("--soak"), Value("--minutes") is { } m ? double.Parse(m, CultureInfo.InvariantCulture) : 30,
            Number("--sample", 10), Value("--pids"));
    }

    public static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FacePlatform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("run from inside the repository");
    }
}
