using System.Collections.Concurrent;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Testing;
using Grpc.Core;
using Npgsql;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>
/// Identity with a read replica (<c>ConnectionStrings:PostgresReadOnly</c>) on a throwaway primary and a real streaming
/// replica of it (<see cref="ThrowawayPostgres.StartReplicaAsync"/>): reads go to the replica and keep answering when the
/// primary dies (API keys keep authenticating), writes during the outage fail with UNAVAILABLE and leave nothing behind, a writer reads its own write
/// even while the replica does not replay, and with the replica down reads move to the primary. Correctness only:
/// nothing here is timed (the loops are bounded so that a broken service fails instead of hanging).
/// </summary>
public sealed class ReadReplicaTests
{
    private const int People = 8;

    [Fact]
    public async Task With_the_primary_killed_mid_load_reads_keep_answering_and_writes_fail_with_unavailable_leaving_nothing_half_applied()
    {
        var servers = await Infrastructure.GetAsync();
        await using var primary = await ThrowawayPostgres.StartAsync();
        await using var replica = await primary.StartReplicaAsync();
        await using var service = Start(primary, replica, servers.Redis);
        var (client, http) = await IdentityServiceFixture.ConnectAsync(service);
        using var _ = http;
        var (tenant, collection, people) = await GalleryAsync(client, seed: 81);
        var apiKey = (await client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = tenant, Name = "reader", Scopes = { Scope.Read } })).Key;

        // Readers: searches with new probes (never a cached answer), subject gets and listings, until told to stop.
        var outcomes = new ConcurrentQueue<(bool AfterCrash, string? Error, bool FromReplica)>();
        var crashed = 0;
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
        {
            var random = new Random(900 + r);
            while (!stop.IsCancellationRequested)
            {
                var afterCrash = Volatile.Read(ref crashed) == 1;
                var person = people[random.Next(people.Count)];
                try
                {
                    var found = await client.SearchAsync(tenant, collection, Galleries.FaceOf(person.Centre, random));
                    var subject = await client.GetSubjectAsync(new GetSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = person.Id });
                    var listed = await client.ListSubjectsAsync(new ListSubjectsRequest { TenantId = tenant, CollectionId = collection });
                    var right = found.Results[0].Matches.FirstOrDefault()?.SubjectId == person.Id && subject.Id == person.Id && listed.Subjects.Count == People;
                    outcomes.Enqueue((afterCrash, right ? null : $"wrong answer for {person.Id}: {found}", found.Debug.FromReplica));
                }
                catch (RpcException error)
                {
                    outcomes.Enqueue((afterCrash, error.Status.ToString(), false));
                }
            }
        })).ToList();

        await UntilAsync(() => outcomes.Count(o => !o.AfterCrash) >= 10, "10 reads before the crash");
        await primary.CrashAsync();
        Volatile.Write(ref crashed, 1);
        await UntilAsync(() => outcomes.Count(o => o.AfterCrash) >= 30, "30 reads after the crash");

        // Writes while the primary is down.
        var create = await Assert.ThrowsAsync<RpcException>(() => client.NewSubjectAsync(tenant, collection, "written-during-the-outage"));
        var enrol = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(tenant, collection, people[0].Id,
            [Galleries.FaceOf(people[0].Centre, new Random(82))]));
        var delete = await Assert.ThrowsAsync<RpcException>(() => client.DeleteSubjectAsync(
            new DeleteSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = people[1].Id }).ResponseAsync);
        var authenticated = await client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = apiKey });
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        await primary.StartAgainAsync();
        var collectionAfter = await UntilWritableAsync(client, tenant, collection);
        var listedAfter = await client.ListSubjectsAsync(new ListSubjectsRequest { TenantId = tenant, CollectionId = collection });
        var facesOfFirst = await client.ListFacesAsync(new ListFacesRequest { TenantId = tenant, CollectionId = collection, SubjectId = people[0].Id });

        var failed = outcomes.Where(o => o.Error is not null).Select(o => (o.AfterCrash, o.Error)).ToList();
        Assert.Empty(failed);
        Assert.True(outcomes.Count(o => o.AfterCrash) >= 30);
        Assert.All(outcomes.Where(o => o.AfterCrash), o => Assert.True(o.FromReplica, "a read after the crash did not come from the replica"));
        Assert.Equal((StatusCode.Unavailable, StatusCode.Unavailable, StatusCode.Unavailable), (create.StatusCode, enrol.StatusCode, delete.StatusCode));
        Assert.Equal(tenant, authenticated.TenantId);
        Assert.Equal(people.Select(p => p.Id).Order(), listedAfter.Subjects.Select(s => s.Id).Order());
        Assert.DoesNotContain(listedAfter.Subjects, s => s.ExternalId == "written-during-the-outage");
        Assert.Equal(2, facesOfFirst.Faces.Count);
        Assert.Equal((People, 2L * People), (collectionAfter.SubjectCount, collectionAfter.FaceCount));
    }

    [Fact]
    public async Task A_writer_reads_its_own_write_while_the_replica_lags_and_reads_move_to_the_primary_when_the_replica_dies()
    {
        var servers = await Infrastructure.GetAsync();
        await using var primary = await ThrowawayPostgres.StartAsync();
        await using var replica = await primary.StartReplicaAsync();
        await using var service = Start(primary, replica, servers.Redis);
        var (client, http) = await IdentityServiceFixture.ConnectAsync(service);
        using var _ = http;
        var (tenant, collection, people) = await GalleryAsync(client, seed: 91);
        var random = new Random(92);
        var settled = await client.SearchAsync(tenant, collection, Galleries.FaceOf(people[3].Centre, random));

        // The replica stops replaying: the writer's next reads of the collection must come from the primary.
        await SetReplayAsync(replica, paused: true);
        var newcomer = Galleries.RandomUnit(random);
        var written = await client.NewSubjectAsync(tenant, collection, "newcomer");
        await client.EnrollAsync(tenant, collection, written.Id, [Galleries.FaceOf(newcomer, random)]);
        var ownWrite = await client.SearchAsync(tenant, collection, Galleries.FaceOf(newcomer, random));
        var ownSubject = await client.GetSubjectAsync(new GetSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = written.Id });
        var onReplica = await CountOnReplicaAsync(replica, written.Id);
        await SetReplayAsync(replica, paused: false);
        await UntilAsync(async () => await CountOnReplicaAsync(replica, written.Id) == 1, "the replica to replay the write");
        var replayed = await client.SearchAsync(tenant, collection, Galleries.FaceOf(newcomer, random));

        await replica.CrashAsync();
        var withoutReplica = await client.SearchAsync(tenant, collection, Galleries.FaceOf(people[5].Centre, random));
        var listed = await client.ListSubjectsAsync(new ListSubjectsRequest { TenantId = tenant, CollectionId = collection });
        var collections = await client.ListCollectionsAsync(new ListCollectionsRequest { TenantId = tenant });

        Assert.True(settled.Debug.FromReplica, $"a read with no write pending did not go to the replica: {settled.Debug}");
        Assert.Equal(0, onReplica);
        Assert.Equal(written.Id, ownWrite.Results[0].Matches[0].SubjectId);
        Assert.False(ownWrite.Debug.FromReplica, "the writer's read came from a replica that had not replayed its write");
        Assert.Equal(1, ownSubject.FaceCount);
        Assert.Equal(written.Id, replayed.Results[0].Matches[0].SubjectId);
        Assert.True(replayed.Debug.FromReplica, "once replayed, the collection's reads did not return to the replica");
        Assert.Equal(people[5].Id, withoutReplica.Results[0].Matches[0].SubjectId);
        Assert.False(withoutReplica.Debug.FromReplica);
        Assert.Equal(People + 1, listed.Subjects.Count);
        Assert.Equal(collection, Assert.Single(collections.Collections).Id);
    }

    private static Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Start(ThrowawayPostgres primary, ThrowawayPostgres replica, string redis) =>
        IdentityServiceFixture.Start(primary.ConnectionString, redis,
            ("ConnectionStrings:PostgresReadOnly", replica.ConnectionString),
            ("Identity:ReplicaWaitMilliseconds", "100"),
            ("Identity:DatabaseRetrySeconds", "1"),
            ("Identity:ScanWarmup", "false"));

    /// <summary>A tenant, a collection and <see cref="People"/> subjects of two faces each, written through the service.</summary>
    private static async Task<(string Tenant, string Collection, List<(string Id, float[] Centre)> People)> GalleryAsync(
        IdentityService.IdentityServiceClient client, int seed)
    {
        var tenant = (await client.CreateTenantAsync(new CreateTenantRequest { Name = "t-" + Guid.NewGuid().ToString("N")[..12] })).Id;
        var collection = (await client.NewCollectionAsync(tenant)).Id;
        var random = new Random(seed);
        var people = new List<(string Id, float[] Centre)>();
        for (var p = 0; p < People; p++)
        {
            var centre = Galleries.RandomUnit(random);
            var subject = (await client.NewSubjectAsync(tenant, collection, $"person-{p}")).Id;
            await client.EnrollAsync(tenant, collection, subject, [Galleries.FaceOf(centre, random), Galleries.FaceOf(centre, random)]);
            people.Add((subject, centre));
        }

        return (tenant, collection, people);
    }

    /// <summary>Once the restarted primary takes writes again (a no-op rename), the collection as the primary has it.</summary>
    private static async Task<Collection> UntilWritableAsync(IdentityService.IdentityServiceClient client, string tenant, string collection)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await client.UpdateCollectionAsync(new UpdateCollectionRequest
                {
                    TenantId = tenant, CollectionId = collection, Name = "gallery", UpdateMask = new() { Paths = { "name" } },
                });
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && attempt < 100)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task SetReplayAsync(ThrowawayPostgres replica, bool paused)
    {
        await using var connection = new NpgsqlConnection(replica.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(paused ? "SELECT pg_wal_replay_pause()" : "SELECT pg_wal_replay_resume()", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountOnReplicaAsync(ThrowawayPostgres replica, string subject)
    {
        await using var connection = new NpgsqlConnection(replica.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM subjects WHERE \"Id\" = $1", connection);
        command.Parameters.Add(new() { Value = Guid.Parse(subject) });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static Task UntilAsync(Func<bool> done, string what) => UntilAsync(() => Task.FromResult(done()), what);

    /// <summary>Polls until <paramref name="done"/>, failing after 600 polls (a minute or more) rather than hanging.</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, string what)
    {
        for (var poll = 0; poll < 600; poll++)
        {
            if (await done())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"gave up waiting for {what}");
    }
}
