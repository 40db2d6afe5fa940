using System.Diagnostics;
using System.Net;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Testing;
using Grpc.Core;
using Npgsql;
using StackExchange.Redis;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>
/// Redis and PostgreSQL failing under a running identity service. Each test owns the server it breaks (see
/// <see cref="ThrowawayPostgres"/>, <see cref="ThrowawayRedis"/>), so the shared servers stay up for everyone else.
/// </summary>
public sealed class FaultTests
{
    [Fact]
    public async Task When_redis_stops_mid_test_answers_continue_from_postgres_readiness_is_degraded_and_bypasses_are_counted()
    {
        var servers = await Infrastructure.GetAsync();
        var database = await servers.CreateDatabaseAsync("redisfault");
        await using var redis = await ThrowawayRedis.StartAsync();
        try
        {
            await using var factory = IdentityServiceFixture.Start(database, redis.Configuration);
            var (client, http) = await IdentityServiceFixture.ConnectAsync(factory);
            var tenant = (await client.CreateTenantAsync(new CreateTenantRequest { Name = "redis-fault" })).Id;
            var collection = (await client.NewCollectionAsync(tenant)).Id;
            var subject = (await client.NewSubjectAsync(tenant, collection, "p")).Id;
            var random = new Random(21);
            var centre = Galleries.RandomUnit(random);
            await client.EnrollAsync(tenant, collection, subject, [Galleries.FaceOf(centre, random)]);
            var probe = Galleries.FaceOf(centre, random);
            var warm = await client.SearchAsync(tenant, collection, probe);
            await using (var direct = await ConnectionMultiplexer.ConnectAsync(redis.Configuration))
            {
                Assert.True(await direct.GetDatabase().KeyExistsAsync($"fp:identity:{{{Guid.Parse(collection):N}}}:answers"));
            }

            await redis.StopAsync();
            var clock = Stopwatch.StartNew();
            var cold = await client.SearchAsync(tenant, collection, probe);
            var enrolled = await client.EnrollAsync(tenant, collection, subject, [Galleries.FaceOf(centre, random)]);
            var afterEnrol = await client.SearchAsync(tenant, collection, probe);
            var subjectRead = await client.GetSubjectAsync(new GetSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = subject });
            clock.Stop();
            var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            var readiness = await ready.Content.ReadAsStringAsync();
            await Task.Delay(1100); // the Prometheus exporter caches a scrape briefly
            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

            Assert.Equal(warm.Results, cold.Results);
            Assert.Single(enrolled.Faces);
            Assert.Equal(subject, afterEnrol.Results[0].Matches[0].SubjectId);
            Assert.Equal(2, subjectRead.FaceCount);
            // Never a hang: a Redis command that is sent before the client notices the server is gone waits out its
            // 500 ms timeout (RedisExtensions); four calls get at most that each, plus their own work on a slow machine.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"without Redis four calls took {clock.Elapsed}");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("\"redis\":{\"status\":\"Degraded\"", readiness, StringComparison.Ordinal);
            Assert.Contains(metrics.Split('\n'), line =>
                line.StartsWith("faceplatform_cache_requests_total{", StringComparison.Ordinal) && line.Contains("faceplatform_cache_result=\"bypass\"", StringComparison.Ordinal));
            Assert.Contains("faceplatform_search_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        }
        finally
        {
            await servers.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task A_postgres_crash_loses_no_acknowledged_enrolment_and_the_service_recovers_by_itself()
    {
        await using var postgres = await ThrowawayPostgres.StartAsync();
        var servers = await Infrastructure.GetAsync();
        await using var factory = IdentityServiceFixture.Start(postgres.ConnectionString, servers.Redis);
        var (client, _) = await IdentityServiceFixture.ConnectAsync(factory);
        var tenant = (await client.CreateTenantAsync(new CreateTenantRequest { Name = "pg-fault" })).Id;
        var collection = (await client.NewCollectionAsync(tenant)).Id;
        var subject = (await client.NewSubjectAsync(tenant, collection, "p")).Id;
        var random = new Random(22);

        var acknowledged = new List<string>();
        var failures = new List<StatusCode>();
        var attempt = 0;
        async Task<bool> EnrolOnceAsync()
        {
            var request = new EnrollRequest { TenantId = tenant, CollectionId = collection, SubjectId = subject, RequestId = $"r{attempt}" };
            request.Faces.Add(new FaceToEnroll { Embedding = Galleries.Embedding(Galleries.RandomUnit(random)), ImageSha256 = Galleries.Sha(attempt++) });
            try
            {
                var answer = await client.EnrollAsync(request, deadline: DateTime.UtcNow.AddSeconds(5));
                acknowledged.AddRange(answer.Faces.Select(f => f.Id));
                return true;
            }
            catch (RpcException exception)
            {
                failures.Add(exception.StatusCode);
                return false;
            }
        }

        for (var i = 0; i < 20; i++)
        {
            Assert.True(await EnrolOnceAsync());
        }

        // Enrolments race the crash: whatever was acknowledged must be there afterwards.
        var racing = Task.Run(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                await EnrolOnceAsync();
            }
        });
        await Task.Delay(50);
        await postgres.CrashAsync();
        await racing;

        var clock = Stopwatch.StartNew();
        var down = await Assert.ThrowsAsync<RpcException>(() => client.SearchAsync(new SearchRequest
        {
            TenantId = tenant, CollectionId = collection, Queries = { Galleries.Embedding(Galleries.RandomUnit(random)) },
        }, deadline: DateTime.UtcNow.AddSeconds(5)).ResponseAsync);
        clock.Stop();

        await postgres.StartAgainAsync();
        var recovered = false;
        for (var i = 0; i < 40 && !recovered; i++)
        {
            recovered = await EnrolOnceAsync();
            if (!recovered)
            {
                await Task.Delay(250);
            }
        }

        var stored = new HashSet<string>();
        await using (var connection = new NpgsqlConnection(postgres.ConnectionString + ";Pooling=false"))
        {
            await connection.OpenAsync();
            await using var faces = new NpgsqlCommand("SELECT \"Id\" FROM faces WHERE \"SubjectId\" = @s", connection);
            faces.Parameters.AddWithValue("s", Guid.Parse(subject));
            await using var reader = await faces.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored.Add(reader.GetGuid(0).ToString());
            }
        }

        Assert.Equal(StatusCode.Unavailable, down.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the failing call took {clock.Elapsed}");
        Assert.True(recovered, $"no enrolment succeeded after PostgreSQL came back; failures: {string.Join(", ", failures)}");
        Assert.All(failures, status => Assert.True(status == StatusCode.Unavailable, $"a failed enrolment said {status}"));
        Assert.True(acknowledged.Count >= 21);
        Assert.DoesNotContain(acknowledged, id => !stored.Contains(id));
    }
}
