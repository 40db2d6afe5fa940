using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FacePlatform.Testing;

// Soaks a running platform with the memory-bounds test's hostile inputs (decompression bombs, 40-MB base64 bodies,
// many-frame GIFs, truncated and garbage images, minFaceSize=1) mixed with normal analyses, from N clients (one
// tenant each, so the per-key rate limit is not what stops them), and prints every --interval seconds the resident
// memory (VmRSS) of each service process found on this machine and the answers per status class.
//
// Usage: dotnet run -c Release --project tests/FacePlatform.Bench.Soak -- [--url http://localhost:8080] [--key ADMIN_KEY]
//        [--minutes 30] [--clients 16] [--interval 10]
var url = Option("--url") ?? "http://localhost:8080";
var minutes = double.Parse(Option("--minutes") ?? "30", CultureInfo.InvariantCulture);
var clients = int.Parse(Option("--clients") ?? "16", CultureInfo.InvariantCulture);
var interval = TimeSpan.FromSeconds(double.Parse(Option("--interval") ?? "10", CultureInfo.InvariantCulture));
var adminKey = Option("--key") ?? File.ReadAllText(Path.Combine(RepositoryPaths.Root, ".data", "admin-api-key")).Trim();
var photo = File.ReadAllBytes(Path.Combine(
    RepositoryPaths.SharedData, "faces", "face_recognition", "examples", "knn_examples", "train", "obama", "obama.jpg"));
var inputs = new HostileInputs(photo);
using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(120) };

var keys = new List<string>();
for (var i = 0; i < clients; i++)
{
    keys.Add(await NewTenantKeyAsync());
}

var services = new[] { "Gateway", "Embedding", "Attributes", "Identity" }.ToDictionary(s => s, FindProcess);
var counts = new ConcurrentDictionary<string, int>();
var peaks = services.Keys.ToDictionary(s => s, _ => 0.0);
using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(minutes));
var kinds = HostileInputs.Kinds.Append("normal").ToList();
var clock = Stopwatch.StartNew();
Console.WriteLine($"soak: {clients} clients for {minutes} min against {url}; {Environment.ProcessorCount} cores; pids " +
    string.Join(", ", services.Select(s => $"{s.Key}={s.Value?.ToString(CultureInfo.InvariantCulture) ?? "not found"}")));
Console.WriteLine("seconds\t" + string.Join('\t', services.Keys.Select(s => s + " MB")) + "\t2xx\t4xx\t429\t5xx\terrors");

var attackers = keys.Select((key, client) => Task.Run(async () =>
{
    for (var turn = client; !stop.IsCancellationRequested; turn++)
    {
        var kind = kinds[turn % kinds.Count];
        try
        {
            using var request = kind == "normal" ? inputs.Normal(key) : inputs.Create(kind, key);
            using var response = await http.SendAsync(request, CancellationToken.None);
            await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            var status = (int)response.StatusCode;
            counts.AddOrUpdate(status == 429 ? "429" : $"{status / 100}xx", 1, (_, n) => n + 1);
        }
        catch (HttpRequestException)
        {
            counts.AddOrUpdate("errors", 1, (_, n) => n + 1);
        }
        catch (TaskCanceledException)
        {
            counts.AddOrUpdate("errors", 1, (_, n) => n + 1);
        }
    }
})).ToList();

var all = Task.WhenAll(attackers);
while (!all.IsCompleted)
{
    await Task.WhenAny(all, Task.Delay(interval));
    var rss = services.ToDictionary(s => s.Key, s => ResidentMemory.MegabytesOf(s.Value) ?? double.NaN);
    foreach (var (name, mb) in rss)
    {
        peaks[name] = Math.Max(peaks[name], double.IsNaN(mb) ? 0 : mb);
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{clock.Elapsed.TotalSeconds:F0}\t{string.Join('\t', rss.Values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}\t{counts.GetValueOrDefault("2xx")}\t{counts.GetValueOrDefault("4xx")}\t{counts.GetValueOrDefault("429")}\t{counts.GetValueOrDefault("5xx")}\t{counts.GetValueOrDefault("errors")}"));
}

Console.WriteLine("peak MB: " + string.Join(", ", peaks.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F0}"))));
return counts.GetValueOrDefault("5xx") + counts.GetValueOrDefault("errors") == 0 ? 0 : 1;

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

async Task<string> NewTenantKeyAsync()
{
    using var tenant = await Send(HttpMethod.Post, "/v1/admin/tenants", new { name = "soak-" + Guid.NewGuid().ToString("N")[..12] });
    var tenantId = (await tenant.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    using var key = await Send(HttpMethod.Post, $"/v1/admin/tenants/{tenantId}/keys", new { name = "soak", scopes = new[] { "read", "write" } });
    return (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
}

async Task<HttpResponseMessage> Send(HttpMethod method, string path, object body)
{
    using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
    request.Headers.Add("X-Api-Key", adminKey);
    var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
    return response;
}

// The service's process on this machine (deploy/local/up.sh runs each as `dotnet FacePlatform.<Name>.dll`).
static int? FindProcess(string name)
{
    foreach (var directory in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid))
        {
            continue;
        }

        try
        {
            var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
            if (commandLine.Contains($"FacePlatform.{name}.dll", StringComparison.Ordinal) || commandLine.Contains($"FacePlatform.{name}\0", StringComparison.Ordinal))
            {
                return pid;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    return null;
}
