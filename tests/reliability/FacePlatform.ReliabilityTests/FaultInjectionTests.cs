using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;

namespace FacePlatform.ReliabilityTests;

/// <summary>
/// Fault injection under concurrent enrolment: several clients, each with its own tenant, enrol real photos through the
/// gateway's REST API with an <c>Idempotency-Key</c> per enrolment, retrying failures a bounded number of times with the
/// same key, while identity and embedding are killed with SIGKILL and restarted, PostgreSQL crashes and restarts, and
/// Redis restarts. Afterwards every acknowledged enrolment must be stored exactly once, nothing that was not attempted
/// may be stored, and the platform must answer normally. Correctness only: nothing here is timed.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FaultInjectionTests(FaultPlatform platform, ITestOutputHelper output) : IClassFixture<FaultPlatform>
{
    private const int Clients = 4;
    private const int SubjectsPerClient = 10;

    // A well-behaved client's budget: ten tries, backing off 0.25 s doubling to 3 s (about 19 s in all), which spans
    // a service restart on a loaded two-core machine.
    private const int MaxTries = 10;

    // Each client pauses between enrolments so the enrolment keeps going through the whole fault sequence instead of
    // using up its photos before the last fault.
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(200);

    // Enrolments acknowledged between one fault and the next: the faults land in the middle of enrolment, and each
    // recovery is shown by new acknowledgements before the next fault.
    private const int ProgressBetweenFaults = 4;

    /// <summary>Photos of <c>../shared/data/faces</c> that show exactly one face (see EndToEndTests' Photos).</summary>
    private static readonly string[] OneFacePhotos =
    [
        "face_recognition/examples/knn_examples/train/obama/obama.jpg",
        "face_recognition/examples/knn_examples/train/obama/obama2.jpg",
        "face_recognition/examples/knn_examples/test/obama1.jpg",
        "face_recognition/examples/knn_examples/train/kit_harington/john1.jpeg",
        "face_recognition/examples/knn_examples/train/kit_harington/john2.jpeg",
        "face_recognition/examples/knn_examples/test/johnsnow_test1.jpg",
        "face_recognition/examples/knn_examples/train/alex_lacamoire/img1.jpg",
        "face_recognition/examples/alex-lacamoire.png",
        "face_recognition/examples/knn_examples/test/alex_lacamoire1.jpg",
        "openface/lennon-1.jpg",
    ];

    private readonly ConcurrentQueue<string> _events = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _acknowledged;

    [Fact]
    public async Task Killed_services_and_restarted_servers_during_concurrent_enrolment_lose_no_acknowledged_face_and_add_none()
    {
        var photos = OneFacePhotos.Select(p => File.ReadAllBytes(Path.Combine(RepositoryPaths.SharedData, "faces", p))).ToArray();
        var run = Guid.NewGuid().ToString("N")[..8];
        var tenants = new List<TenantWork>();
        for (var c = 0; c < Clients; c++)
        {
            tenants.Add(await NewTenantWorkAsync(c, run, photos.Length));
        }

        using var faultsDone = new CancellationTokenSource();
        var clients = tenants.Select(t => Task.Run(() => EnrolAsync(t, photos, faultsDone.Token))).ToList();
        try
        {
            await InjectFaultsAsync();
        }
        finally
        {
            await faultsDone.CancelAsync();
        }

        await Task.WhenAll(clients);
        var slots = tenants.SelectMany(t => t.Slots).Where(s => s.Tries.Count > 0).ToList();

        // The platform answers normally again: every service ready, and a first try of a new enrolment and a search
        // succeed in every tenant.
        foreach (var service in platform.Services)
        {
            await service.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }

        var after = new List<string>();
        foreach (var tenant in tenants)
        {
            var slot = tenant.Slots.First(s => s.Tries.Count == 0);
            var (status, body) = await SendEnrolmentAsync(tenant, slot, photos[slot.Photo]);
            after.Add($"enrol {status}");
            Assert.True(status == (int)HttpStatusCode.Created, $"a new enrolment after the faults answered {status}: {body}");
            slot.Record(status, body);
            slots.Add(slot);
            using var search = PlatformFixture.Request(HttpMethod.Post, $"/v1/collections/{tenant.CollectionId}/search", tenant.Key);
            search.Content = PhotoForm(photos[slot.Photo]);
            using var searched = await platform.Http.SendAsync(search);
            var found = await searched.Content.ReadAsStringAsync();
            after.Add($"search {(int)searched.StatusCode}");
            Assert.True(searched.StatusCode == HttpStatusCode.OK, $"search after the faults answered {(int)searched.StatusCode}: {found}");
            // The same photo may be enrolled for several subjects of the tenant: the best match is one of them.
            var best = JsonDocument.Parse(found).RootElement.GetProperty("faces")[0].GetProperty("matches")[0].GetProperty("subjectId").GetString();
            Assert.Contains(tenant.Slots, s => s.SubjectId == best && s.Photo == slot.Photo && s.FaceId is not null);
        }

        // A client that lost an answer sends the same key again: it must get the face it already has, not a second one.
        var replayed = slots.Where(s => s.FaceId is not null).OrderByDescending(s => s.Tries.Count).Take(12).ToList();
        foreach (var slot in replayed)
        {
            var tenant = tenants.Single(t => t.TenantId == slot.TenantId);
            var (status, body) = await SendEnrolmentAsync(tenant, slot, photos[slot.Photo]);
            Assert.True(status == (int)HttpStatusCode.Created, $"replaying key {slot.Key} answered {status}: {body}");
            Assert.Equal(slot.FaceId, FaceIdOf(body));
        }

        var listed = await ListThroughApiAsync(tenants);
        var stored = await ReadStoredFacesAsync(tenants);
        Report(tenants, slots, stored, replayed.Count, after);

        var byKey = slots.ToDictionary(s => s.Key, StringComparer.Ordinal);
        // Nothing is present that was not attempted: every stored face carries the key of an attempted enrolment of
        // that very subject (the gateway passes the Idempotency-Key as the request id).
        Assert.All(stored, face =>
        {
            Assert.True(face.RequestId is not null && byKey.ContainsKey(face.RequestId), $"face {face.Id} has request id {face.RequestId ?? "null"}, which no client sent");
            Assert.Equal(byKey[face.RequestId!].SubjectId, face.SubjectId);
        });

        // No duplicates: one face per key, and one per photo of a subject.
        Assert.All(stored.GroupBy(f => f.RequestId), group => Assert.Single(group));
        Assert.All(stored.GroupBy(f => (f.SubjectId, f.ImageSha256)), group => Assert.Single(group));

        // Every acknowledged enrolment is present exactly once, as the face its answer named.
        var storedById = stored.ToDictionary(f => f.Id, StringComparer.Ordinal);
        foreach (var slot in slots.Where(s => s.FaceId is not null))
        {
            Assert.True(storedById.TryGetValue(slot.FaceId!, out var face), $"acknowledged face {slot.FaceId} (key {slot.Key}) is not stored");
            Assert.Equal(slot.Key, face.RequestId);
        }

        // The API shows exactly what PostgreSQL holds, and each subject's face count agrees with its faces.
        Assert.Equal(stored.Select(f => f.Id).Order(StringComparer.Ordinal), listed.Faces.Order(StringComparer.Ordinal));
        Assert.All(listed.Counts, count => Assert.True(count.Counted == count.Listed,
            $"subject {count.SubjectId} says {count.Counted} faces, lists {count.Listed}"));

        // A fault shows as "unavailable, try again" (503), never as a server error.
        Assert.DoesNotContain(slots.SelectMany(s => s.Tries), status => status == (int)HttpStatusCode.InternalServerError);

        // The test did what it says: enrolments were acknowledged, and some needed a retry across a fault.
        Assert.True(slots.Count(s => s.FaceId is not null) >= ProgressBetweenFaults * 5);
        Assert.Contains(slots, s => s.Tries.Count > 1);
    }

    private async Task InjectFaultsAsync()
    {
        await AwaitProgressAsync("before the first fault");

        Log("kill -9 identity");
        platform.Identity.Kill();
        platform.Identity.Start();
        await platform.Identity.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        Log("identity ready again");
        await AwaitProgressAsync("after identity's restart");

        Log("kill -9 embedding");
        platform.Embedding.Kill();
        platform.Embedding.Start();
        await platform.Embedding.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
        Log("embedding ready again");
        await AwaitProgressAsync("after embedding's restart");

        Log("PostgreSQL crash (pg_ctl stop -m immediate)");
        await platform.Postgres.CrashAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await platform.Postgres.StartAgainAsync();
        Log("PostgreSQL started again");
        await AwaitProgressAsync("after PostgreSQL's restart");

        Log("Redis killed");
        await platform.RedisServer.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await platform.RedisServer.StartAgainAsync();
        Log("Redis started again (empty)");
        await AwaitProgressAsync("after Redis's restart");
    }

    /// <summary>Waits for new acknowledgements; a bound, not a speed check: without it a stuck platform would hang the run.</summary>
    private async Task AwaitProgressAsync(string when)
    {
        var target = Volatile.Read(ref _acknowledged) + ProgressBetweenFaults;
        var deadline = _clock.Elapsed + TimeSpan.FromSeconds(120);
        while (Volatile.Read(ref _acknowledged) < target)
        {
            Assert.True(_clock.Elapsed < deadline, $"no enrolment was acknowledged {when}; events: {string.Join("; ", _events)}");
            await Task.Delay(100);
        }

        Log($"{Volatile.Read(ref _acknowledged)} acknowledged {when}");
    }

    private async Task<TenantWork> NewTenantWorkAsync(int client, string run, int photoCount)
    {
        var (tenantId, key) = await platform.NewTenantAsync("read", "write");
        var collectionId = await CreateAsync("/v1/collections", key, new { name = $"faults-{run}-{client}" });
        var work = new TenantWork(client, tenantId, key, collectionId);
        for (var s = 0; s < SubjectsPerClient; s++)
        {
            var subjectId = await CreateAsync($"/v1/collections/{collectionId}/subjects", key,
                new { externalId = $"person-{s}", displayName = $"Person {s}" });
            for (var p = 0; p < photoCount; p++)
            {
                work.Slots.Add(new Slot(tenantId, subjectId, p, $"faults-{run}-{client}-{s}-{p}"));
            }
        }

        return work;
    }

    private async Task<string> CreateAsync(string path, string key, object body)
    {
        using var answer = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, path, key, body));
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        return (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>
    /// One client: its enrolments one after another until the faults are over and two more have been tried, each retried
    /// with the same key on a transport failure, 429 or 5xx.
    /// </summary>
    private async Task EnrolAsync(TenantWork tenant, byte[][] photos, CancellationToken faultsDone)
    {
        var afterFaults = 0;
        foreach (var slot in tenant.Slots.SkipLast(1))
        {
            if (faultsDone.IsCancellationRequested && ++afterFaults > 2)
            {
                return;
            }

            for (var attempt = 0; attempt < MaxTries; attempt++)
            {
                var (status, body) = await SendEnrolmentAsync(tenant, slot, photos[slot.Photo]);
                slot.Record(status, body);
                if (slot.FaceId is not null)
                {
                    Interlocked.Increment(ref _acknowledged);
                    break;
                }

                if (status is not (null or 429 or >= 500))
                {
                    break;
                }

                // The end of the faults does not cut short an enrolment in progress: its retries run to their end.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250 << attempt, 3000)), CancellationToken.None);
            }

            await Task.Delay(Pace, CancellationToken.None);
        }
    }

    private async Task<(int? Status, string Body)> SendEnrolmentAsync(TenantWork tenant, Slot slot, byte[] photo)
    {
        using var request = PlatformFixture.Request(
            HttpMethod.Post, $"/v1/collections/{tenant.CollectionId}/subjects/{slot.SubjectId}/faces", tenant.Key);
        request.Headers.Add("Idempotency-Key", slot.Key);
        request.Content = PhotoForm(photo);
        try
        {
            using var answer = await platform.Http.SendAsync(request);
            return ((int)answer.StatusCode, await answer.Content.ReadAsStringAsync());
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
        {
            // No answer (connection cut or the client's timeout): the client cannot know whether it was stored.
            return (null, exception.Message);
        }
    }

    private static MultipartFormDataContent PhotoForm(byte[] photo)
    {
        var file = new ByteArrayContent(photo);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { file, "image", "photo" } };
    }

    private static string FaceIdOf(string body) =>
        JsonDocument.Parse(body).RootElement.GetProperty("faces")[0].GetProperty("id").GetString()!;

    private async Task<(List<string> Faces, List<(string SubjectId, long Counted, int Listed)> Counts)> ListThroughApiAsync(List<TenantWork> tenants)
    {
        var faces = new List<string>();
        var counts = new List<(string, long, int)>();
        foreach (var tenant in tenants)
        {
            var subjects = await GetAsync(tenant.Key, $"/v1/collections/{tenant.CollectionId}/subjects?pageSize=500");
            Assert.Equal(JsonValueKind.Null, subjects.GetProperty("nextPageToken").ValueKind);
            foreach (var subject in subjects.GetProperty("subjects").EnumerateArray())
            {
                var id = subject.GetProperty("id").GetString()!;
                var page = await GetAsync(tenant.Key, $"/v1/collections/{tenant.CollectionId}/subjects/{id}/faces?pageSize=500");
                var listed = page.GetProperty("faces").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();
                faces.AddRange(listed);
                counts.Add((id, subject.GetProperty("faceCount").GetInt64(), listed.Count));
            }
        }

        return (faces, counts);
    }

    private async Task<JsonElement> GetAsync(string key, string path)
    {
        using var answer = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, path, key));
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)answer.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private async Task<List<StoredFace>> ReadStoredFacesAsync(List<TenantWork> tenants)
    {
        var stored = new List<StoredFace>();
        // Unpooled: the test process's pool may still hold connections to the server from before its crash.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(platform.Database) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT \"Id\", \"SubjectId\", \"RequestId\", \"ImageSha256\" FROM faces WHERE \"TenantId\" = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenants.Select(t => Guid.Parse(t.TenantId)).ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            stored.Add(new StoredFace(reader.GetGuid(0).ToString(), reader.GetGuid(1).ToString(),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3)));
        }

        return stored;
    }

    private void Report(List<TenantWork> tenants, List<Slot> slots, List<StoredFace> stored, int replayed, List<string> after)
    {
        var acknowledged = slots.Count(s => s.FaceId is not null);
        var keys = stored.Select(f => f.RequestId).ToHashSet(StringComparer.Ordinal);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"fault injection, {Clients} clients (one tenant each), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {_clock.Elapsed.TotalSeconds:F0} s");
        foreach (var line in _events)
        {
            report.AppendLine(line);
        }

        report.AppendLine(CultureInfo.InvariantCulture,
            $"attempted {slots.Count}, acknowledged {acknowledged}, present {stored.Count} " +
            $"(of them not acknowledged: {slots.Count(s => s.FaceId is null && keys.Contains(s.Key))}), " +
            $"refused in the end {slots.Count(s => s.FaceId is null)}, retried {slots.Count(s => s.Tries.Count > 1)} " +
            $"(acknowledged as stored by an earlier try whose answer was lost: {slots.Count(s => s.StoredByEarlierTry)}), " +
            $"requests {slots.Sum(s => s.Tries.Count)}, idempotent replays checked {replayed}");
        report.AppendLine("answers per status (every try): " + string.Join(", ",
            slots.SelectMany(s => s.Tries).GroupBy(t => t?.ToString(CultureInfo.InvariantCulture) ?? "no answer").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} × {g.Count()}")));
        report.AppendLine("refused in the end, by last status: " + string.Join(", ",
            slots.Where(s => s.FaceId is null).GroupBy(s => s.Tries[^1]?.ToString(CultureInfo.InvariantCulture) ?? "no answer").Select(g => $"{g.Key} × {g.Count()}")));
        foreach (var refusal in slots.Where(s => s.FaceId is null).Select(s => s.LastBody).Distinct().Take(5))
        {
            report.AppendLine("  e.g. " + refusal[..Math.Min(refusal.Length, 300)]);
        }

        report.AppendLine("after the faults: " + string.Join(", ", after));
        report.AppendLine("per tenant (acknowledged / present): " + string.Join(", ", tenants.Select(t =>
            $"{t.Slots.Count(s => s.FaceId is not null)} / {stored.Count(f => t.Slots.Any(s => s.Key == f.RequestId))}")));
        output.WriteLine(report.ToString());
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "artifacts", "reliability");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "faults.txt"), report.ToString());
    }

    private void Log(string what) =>
        _events.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}"));

    private sealed record TenantWork(int Client, string TenantId, string Key, string CollectionId)
    {
        public List<Slot> Slots { get; } = [];
    }

    /// <summary>One enrolment a client means to make: a photo for a subject, under one idempotency key.</summary>
    private sealed record Slot(string TenantId, string SubjectId, int Photo, string Key)
    {
        /// <summary>The status of each try; null where no answer came.</summary>
        public List<int?> Tries { get; } = [];

        public string? FaceId { get; private set; }

        public string LastBody { get; private set; } = string.Empty;

        public bool StoredByEarlierTry { get; private set; }

        public void Record(int? status, string body)
        {
            Tries.Add(status);
            LastBody = body;
            if (status is >= 200 and < 300 && FaceId is null)
            {
                FaceId = FaceIdOf(body);
                // The first 2xx says the face was already there: an earlier try was stored but its answer was lost.
                StoredByEarlierTry = JsonDocument.Parse(body).RootElement.GetProperty("duplicates").GetInt32() > 0;
            }
        }
    }

    private sealed record StoredFace(string Id, string SubjectId, string? RequestId, string ImageSha256);
}
