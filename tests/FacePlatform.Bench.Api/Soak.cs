using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

/// <summary>
/// The soak (<c>--soak</c>): N clients at saturation for <c>--minutes</c> (30 by default), each cycling analyse, enrol
/// and search against one collection of its own run, with distinct bytes per request so no answer comes from the cache
/// and every enrolment adds a face. Every <c>--sample</c> seconds it prints one CSV row: requests and answers per status
/// in that interval, and the resident memory of every process of the platform, so growth, leaks and error bursts over
/// time show. A summary at the end gives the totals and each process's first, peak and last resident memory.
/// </summary>
internal static class Soak
{
    private static readonly string[] Operations = ["analyse", "enrol", "search"];
    private const int Subjects = 20;

    public static async Task RunAsync(Options options, HttpClient http, string key, byte[] photo, string dataDir)
    {
        var processes = ResidentMemory.Processes(dataDir, options.Pids);
        var run = Guid.NewGuid().ToString("N")[..8];
        var collection = await CreateAsync(http, key, "/v1/collections", new { name = $"soak-{run}" });
        var subjects = new List<string>();
        for (var s = 0; s < Subjects; s++)
        {
            subjects.Add(await CreateAsync(http, key, $"/v1/collections/{collection}/subjects", new { externalId = $"soak-{s}" }));
        }

        // answers[operation][status]; status 0 = no answer (connection failed or the client's timeout).
        var answers = Operations.Select(_ => new long[600]).ToArray();
        var counter = 0;
        var salt = BitConverter.GetBytes(Random.Shared.Next());
        var duration = TimeSpan.FromMinutes(options.Minutes);
        var clock = Stopwatch.StartNew();

        async Task ClientAsync(int client)
        {
            for (var i = client; clock.Elapsed < duration; i++)
            {
                var n = Interlocked.Increment(ref counter);
                var operation = i % Operations.Length;
                byte[] bytes = [.. photo, .. salt, (byte)n, (byte)(n >> 8), (byte)(n >> 16), (byte)(n >> 24)];
                using var request = operation switch
                {
                    0 => new HttpRequestMessage(HttpMethod.Post, "/v1/analyze"),
                    1 => new HttpRequestMessage(HttpMethod.Post, $"/v1/collections/{collection}/subjects/{subjects[n % Subjects]}/faces"),
                    _ => new HttpRequestMessage(HttpMethod.Post, $"/v1/collections/{collection}/search"),
                };
                request.Headers.Add("X-Api-Key", key);
                if (operation == 1)
                {
                    request.Headers.Add("Idempotency-Key", $"soak-{run}-{n}");
                }

                var file = new ByteArrayContent(bytes);
                file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                request.Content = new MultipartFormDataContent { { file, "image", "photo.jpg" } };
                int status;
                try
                {
                    using var response = await http.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    status = (int)response.StatusCode;
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
                {
                    status = 0;
                    // The platform is not answering: do not spin.
                    await Task.Delay(100);
                }

                Interlocked.Increment(ref answers[operation][Math.Clamp(status, 0, 599)]);
            }
        }

        var header = string.Join(',', ["elapsed_s", "requests", "requests_per_s", "ok", "errors_by_status",
            .. processes.Select(p => $"{p.Name}_rss_mb")]);
        Console.WriteLine($"# soak: {options.Clients} clients, analyse/enrol/search in turn, {options.Minutes} min, a row every {options.SampleSeconds} s; " +
            $"machine {Environment.ProcessorCount} cores; collection {collection}; processes {string.Join(' ', processes.Select(p => $"{p.Name}={p.Pid}"))}");
        Console.WriteLine(header);
        var rss = processes.ToDictionary(p => p.Name, _ => new List<long>(), StringComparer.Ordinal);
        var clients = Enumerable.Range(0, options.Clients).Select(c => Task.Run(() => ClientAsync(c))).ToList();
        var previous = new long[600];
        var previousAt = TimeSpan.Zero;
        var all = Task.WhenAll(clients);
        while (!all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(options.SampleSeconds)));
            var now = clock.Elapsed;
            var totals = Enumerable.Range(0, 600).Select(s => answers.Sum(a => Interlocked.Read(ref a[s]))).ToArray();
            var interval = totals.Zip(previous, (t, p) => t - p).ToArray();
            var requests = interval.Sum();
            var ok = interval.Where((_, s) => s is >= 200 and < 300).Sum();
            var errors = string.Join(' ', interval.Select((count, s) => (count, s)).Where(x => x.count > 0 && x.s is not (>= 200 and < 300))
                .Select(x => $"{(x.s == 0 ? "none" : x.s.ToString(CultureInfo.InvariantCulture))}:{x.count}"));
            var memory = processes.Select(p =>
            {
                var kb = ResidentMemory.Kilobytes(p.Pid, "VmRSS");
                if (kb is { } value)
                {
                    rss[p.Name].Add(value);
                }

                return kb is { } v ? (v / 1024).ToString(CultureInfo.InvariantCulture) : "gone";
            });
            Console.WriteLine(string.Join(',', [
                ((int)now.TotalSeconds).ToString(CultureInfo.InvariantCulture),
                requests.ToString(CultureInfo.InvariantCulture),
                // The last interval ends when the clients stop, which may be a moment after the previous row.
                (now - previousAt).TotalSeconds < 1 ? "-" : (requests / (now - previousAt).TotalSeconds).ToString("F1", CultureInfo.InvariantCulture),
                ok.ToString(CultureInfo.InvariantCulture),
                errors.Length == 0 ? "-" : errors,
                .. memory]));
            previous = totals;
            previousAt = now;
        }

        await all;
        Console.WriteLine($"# totals over {clock.Elapsed.TotalMinutes:F1} min:");
        for (var o = 0; o < Operations.Length; o++)
        {
            var byStatus = answers[o].Select((count, s) => (count, s)).Where(x => x.count > 0)
                .Select(x => $"{(x.s == 0 ? "no answer" : x.s.ToString(CultureInfo.InvariantCulture))} × {x.count}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   {Operations[o]}: {answers[o].Sum()} requests ({answers[o].Sum() / clock.Elapsed.TotalSeconds:F2}/s): {string.Join(", ", byStatus)}"));
        }

        foreach (var (name, samples) in rss.Where(r => r.Value.Count > 0))
        {
            var pid = processes.First(p => p.Name == name).Pid;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   {name}: resident first {samples[0] / 1024} MB, peak sampled {samples.Max() / 1024} MB, last {samples[^1] / 1024} MB, VmHWM {ResidentMemory.Kilobytes(pid, "VmHWM") / 1024} MB"));
        }

        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/v1/collections/{collection}");
        delete.Headers.Add("X-Api-Key", key);
        using var deleted = await http.SendAsync(delete);
        Console.WriteLine($"# soak collection deleted: {(int)deleted.StatusCode}");
    }

    private static async Task<string> CreateAsync(HttpClient http, string key, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", key);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!
            : throw new InvalidOperationException($"POST {path} failed: {(int)response.StatusCode} {text}");
    }
}
