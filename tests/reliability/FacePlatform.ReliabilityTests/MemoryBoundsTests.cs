using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace FacePlatform.ReliabilityTests;

/// <summary>
/// Issue 16, item 2: sixteen clients send the worst photos we can make for a while — decompression bombs just under
/// the pixel gate (as multipart and as base64 JSON), 40-MB base64 bodies, a GIF of 20 000 frames on a 36-MP canvas,
/// header-only bombs, truncated and garbage images, minFaceSize=1 — and, over the public gRPC service, photo-sized
/// Analyze and Verify messages (20 MB of junk, two padded bombs, two photos over the limit: grpc-dotnet buffers each
/// whole message), while the resident memory of the embedding service and the gateway is sampled from /proc. Both stay under their chart limits, no answer is a 5xx, the platform still
/// analyses a normal photo afterwards, and the memory drops back.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class MemoryBoundsTests(ReliabilityPlatform platform, ITestOutputHelper output)
{
    private const int Clients = 16;
    private const double EmbeddingLimitMegabytes = 1000;
    private const double GatewayLimitMegabytes = 512;
    private static readonly TimeSpan Attack = TimeSpan.FromSeconds(40);

    // After the attack each service must come back to within this much of where it was before it (bounded wait). The
    // wait is longer than the 32 s after which the gateway collects what the shared array pool let go (ImageGate).
    private const double RecoveryMarginMegabytes = 150;
    private static readonly TimeSpan RecoveryWait = TimeSpan.FromSeconds(60);

    // gRPC statuses that would be a 5xx over REST: the gateway failed, not the client's input.
    private static readonly HashSet<StatusCode> ServerFailures =
        [StatusCode.Internal, StatusCode.Unknown, StatusCode.Unavailable, StatusCode.DataLoss, StatusCode.Unimplemented];

    // REST alone, and REST with the large gRPC messages: two cases, so each figure in docs/reliability.md has its own run.
    // The gateway's bound with gRPC holds since photos are streamed to the embedding service from the message and the
    // GC conserves memory (System.GC.ConserveMemory); docs/reliability.md, "Met with gRPC too". On a quiet machine many
    // 40-MB Verify messages get through; the embedding service then stayed 150+ MB above where it was (476 and 486 MB
    // against 471 and 483) until it received them into arrays of its own, opened photos pinned instead of copied and
    // collected aggressively once idle (265-366 MB against 223-234 in three quiet runs). The gateway's peak with gRPC was
    // 446-523 MB in eight quiet runs (one over 512) until its GC heap got a 320-MiB limit (440-452 MB in three).
    [Theory]
    [InlineData("rest-only")]
    [InlineData("rest-and-grpc")]
    public async Task Sixteen_hostile_clients_keep_embedding_and_gateway_memory_bounded_without_5xx_and_it_drops_back(string attack)
    {
        var photo = await File.ReadAllBytesAsync(Path.Combine(
            RepositoryPaths.SharedData, "faces", "face_recognition", "examples", "knn_examples", "train", "obama", "obama.jpg"));
        var inputs = new HostileInputs(photo);
        var embedding = platform.Services.Single(s => s.Name == "Embedding");
        var gateway = platform.Gateway;
        // One tenant per client: the per-key rate limit must not be what stops the attack.
        var keys = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => platform.NewTenantAsync()));
        using var http = new HttpClient { BaseAddress = gateway.HttpAddress, Timeout = TimeSpan.FromSeconds(90) };
        // One connection per client, as sixteen separate attackers would have (HTTP/2 would otherwise share one).
        var channels = keys.Select(_ => GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{gateway.GrpcPort}"))).ToList();
        string[] kinds = attack == "rest-and-grpc" ? [.. HostileInputs.Kinds, .. HostileInputs.GrpcKinds] : [.. HostileInputs.Kinds];

        await AnalyseNormallyAsync(http, inputs, keys[0].Key);
        var before = (Embedding: Rss(embedding), Gateway: Rss(gateway));

        var statuses = new ConcurrentDictionary<string, int>();
        var fiveHundreds = new ConcurrentQueue<string>();
        var peak = (Embedding: before.Embedding, Gateway: before.Gateway);
        using var stop = new CancellationTokenSource(Attack);
        // Sampled until the last attack request is answered, not only while new ones start: the requests in flight
        // when the time is up still hold memory (on a loaded machine for many seconds).
        using var answered = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!answered.IsCancellationRequested)
            {
                peak = (Math.Max(peak.Embedding, Rss(embedding)), Math.Max(peak.Gateway, Rss(gateway)));
                await Task.Delay(100, CancellationToken.None);
            }
        });
        var clock = Stopwatch.StartNew();
        var attackers = keys.Select((key, client) => Task.Run(async () =>
        {
            for (var turn = client; !stop.IsCancellationRequested; turn++)
            {
                var kind = kinds[turn % kinds.Length];
                if (HostileInputs.GrpcKinds.Contains(kind))
                {
                    var status = await inputs.CallAsync(new FaceService.FaceServiceClient(channels[client]), kind, key.Key);
                    statuses.AddOrUpdate($"{kind} {status}", 1, (_, n) => n + 1);
                    if (ServerFailures.Contains(status))
                    {
                        fiveHundreds.Enqueue($"{kind}: {status}");
                    }

                    continue;
                }

                using var request = inputs.Create(kind, key.Key);
                HttpResponseMessage response;
                try
                {
                    response = await http.SendAsync(request, CancellationToken.None);
                }
                catch (HttpRequestException exception)
                {
                    // A dropped connection fails the test like a 5xx, named with its kind, and the attack goes on so
                    // the memory figures are still measured.
                    statuses.AddOrUpdate($"{kind} transport error", 1, (_, n) => n + 1);
                    fiveHundreds.Enqueue($"{kind}: {exception.Message} {exception.InnerException?.Message}");
                    continue;
                }

                using var _ = response;
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                statuses.AddOrUpdate($"{kind} {(int)response.StatusCode}", 1, (_, n) => n + 1);
                if ((int)response.StatusCode >= 500)
                {
                    fiveHundreds.Enqueue($"{kind}: {(int)response.StatusCode} {body}");
                }
            }
        })).ToList();
        await Task.WhenAll(attackers);
        await answered.CancelAsync();
        await sampler;
        channels.ForEach(channel => channel.Dispose());
        var attackSeconds = clock.Elapsed.TotalSeconds;

        var after = await WaitForRecoveryAsync(http, inputs, keys[1].Key, embedding, gateway, before);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Clients} clients for {attackSeconds:F0} s; bomb PNG {inputs.BombBytes} bytes ({HostileInputs.BombWidth}x{HostileInputs.BombHeight}), GIF {inputs.GifBytes} bytes"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"embedding RSS MB: before {before.Embedding:F0}, peak {peak.Embedding:F0}, after {after.Embedding:F0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gateway RSS MB: before {before.Gateway:F0}, peak {peak.Gateway:F0}, after {after.Gateway:F0}"));
        // Where the gateway's memory is (managed heap or not), for docs/reliability.md.
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        foreach (var line in metrics.Split('\n').Where(l => l.StartsWith("dotnet_gc_", StringComparison.Ordinal) && !l.Contains("_total", StringComparison.Ordinal)))
        {
            output.WriteLine("gateway " + line);
        }

        foreach (var (outcome, count) in statuses.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{outcome}: {count}");
        }

        Assert.Empty(fiveHundreds);
        Assert.True(peak.Embedding < EmbeddingLimitMegabytes, $"embedding peaked at {peak.Embedding:F0} MB (limit {EmbeddingLimitMegabytes})");
        Assert.True(peak.Gateway < GatewayLimitMegabytes, $"gateway peaked at {peak.Gateway:F0} MB (limit {GatewayLimitMegabytes})");
        Assert.True(after.Embedding <= before.Embedding + RecoveryMarginMegabytes,
            $"embedding stayed at {after.Embedding:F0} MB after the attack (before: {before.Embedding:F0})");
        Assert.True(after.Gateway <= before.Gateway + RecoveryMarginMegabytes,
            $"gateway stayed at {after.Gateway:F0} MB after the attack (before: {before.Gateway:F0})");
        // Every kind was answered at least once (else the attack did not test it), and each refusal was a 4xx.
        Assert.All(kinds, kind => Assert.Contains(statuses.Keys, k => k.StartsWith(kind + " ", StringComparison.Ordinal)));
        Assert.Contains("min-face-1 400", statuses.Keys);
        if (attack == "rest-and-grpc")
        {
            Assert.Contains($"grpc-verify-over-limit {StatusCode.InvalidArgument}", statuses.Keys);
        }
    }

    private static double Rss(ServiceProcess service) =>
        ResidentMemory.MegabytesOf(service.ProcessId) ?? throw new InvalidOperationException($"{service.Name} is not running");

    private static async Task AnalyseNormallyAsync(HttpClient http, HostileInputs inputs, string key)
    {
        // The services may still refuse for a moment while the last attack requests finish: retry 429s briefly.
        for (var attempt = 0; ; attempt++)
        {
            using var request = inputs.Normal(key);
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && attempt < 20)
            {
                await Task.Delay(500);
                continue;
            }

            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"a normal analyse answered {(int)response.StatusCode}: {body}");
            Assert.Contains("\"faces\"", body, StringComparison.Ordinal);
            return;
        }
    }

    /// <summary>
    /// Normal use goes on after the attack (one analyse at a time, each must succeed) until both services are back
    /// within the margin of where they were, or the wait is over: a garbage-collected heap shrinks when it collects,
    /// and an idle process does not collect.
    /// </summary>
    private static async Task<(double Embedding, double Gateway)> WaitForRecoveryAsync(
        HttpClient http, HostileInputs inputs, string key, ServiceProcess embedding, ServiceProcess gateway, (double Embedding, double Gateway) before)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await AnalyseNormallyAsync(http, inputs, key);
            var now = (Embedding: Rss(embedding), Gateway: Rss(gateway));
            var recovered = now.Embedding <= before.Embedding + RecoveryMarginMegabytes
                && now.Gateway <= before.Gateway + RecoveryMarginMegabytes;
            if (recovered || clock.Elapsed > RecoveryWait)
            {
                return now;
            }

            await Task.Delay(250);
        }
    }
}
