using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Search;
using FacePlatform.ServiceDefaults.Audit;
using FacePlatform.ServiceDefaults.Caching;
using FacePlatform.Testing;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>
/// Tenant lifecycle on identity with real PostgreSQL and Redis: a deleted tenant leaves no row, partition or cached
/// answer; a suspended tenant's keys are refused; keys expire and record their last use; the audit log records who did
/// what from where. The gateway's caller metadata is sent by hand, as the gateway sends it.
/// </summary>
public sealed class TenantLifecycleTests(IdentityServiceFixture identity) : IClassFixture<IdentityServiceFixture>
{
    private const string Address = "203.0.113.7";

    [Fact]
    public async Task Deleting_a_tenant_leaves_no_row_partition_or_cached_answer_anywhere()
    {
        var platform = await PlatformTenantAsync();
        var tenant = await identity.NewTenantAsync();
        var key = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = tenant, Scopes = { Scope.Admin } });
        var ada = "Ada-" + Guid.NewGuid().ToString("N")[..8];
        var grace = "Grace-" + Guid.NewGuid().ToString("N")[..8];
        var random = new Random(16);
        var adaFace = Galleries.RandomUnit(random);
        var first = await identity.Client.NewCollectionAsync(tenant, "first");
        var second = await identity.Client.NewCollectionAsync(tenant, "second");
        var adaSubject = await identity.Client.NewSubjectAsync(tenant, first.Id, "ada", ada);
        var graceSubject = await identity.Client.NewSubjectAsync(tenant, second.Id, "grace", grace);
        await identity.Client.EnrollAsync(tenant, first.Id, adaSubject.Id, [adaFace, Galleries.FaceOf(adaFace, random)]);
        await identity.Client.EnrollAsync(tenant, second.Id, graceSubject.Id, [Galleries.RandomUnit(random)]);
        var found = await identity.Client.SearchAsync(tenant, first.Id, adaFace);
        Assert.Equal(ada, found.Results[0].Matches[0].DisplayName);
        await identity.Client.GetSubjectAsync(new GetSubjectRequest { TenantId = tenant, CollectionId = second.Id, SubjectId = graceSubject.Id });
        await WriteGatewayAnalysesAsync(tenant, first.Id, ada);
        Assert.True(identity.Services.GetRequiredService<CodeScans>().Holds(Guid.Parse(first.Id)));

        string[] needles = [.. Ids(tenant), .. Ids(first.Id), .. Ids(second.Id), key.ApiKey.Id, ada, grace];
        Assert.NotEmpty(await Leftovers.InPostgresAsync(identity.Database, needles));
        await EventuallyAsync(async () => (await Leftovers.InRedisAsync(identity.Servers.Redis, [ada])).Count >= 2);

        var deleted = await identity.Client.DeleteTenantAsync(new TenantRequest { TenantId = tenant }, Caller(platform));

        Assert.Equal(2, deleted.DeletedCollections);
        Assert.Equal(2, deleted.DeletedSubjects);
        Assert.Equal(3, deleted.DeletedFaces);
        Assert.Equal(1, deleted.DeletedApiKeys);
        Assert.True(deleted.DeletedCacheEntries >= 3, $"{deleted.DeletedCacheEntries} cache entries deleted");
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key.Key }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.False(identity.Services.GetRequiredService<CodeScans>().Holds(Guid.Parse(first.Id)));

        // The one row allowed to name the tenant: the record of its deletion, in the platform tenant's log.
        var rows = await Leftovers.InPostgresAsync(identity.Database, needles);
        var record = Assert.Single(rows, r => r.StartsWith("audit_events:", StringComparison.Ordinal));
        Assert.Contains("tenant.deleted", record, StringComparison.Ordinal);
        Assert.Contains(platform, record, StringComparison.Ordinal);
        Assert.DoesNotContain(rows, r => r != record);
        Assert.Empty(await Leftovers.InRedisAsync(identity.Servers.Redis, needles));
    }

    [Fact]
    public async Task The_platform_tenant_can_be_neither_deleted_nor_suspended()
    {
        var platform = await PlatformTenantAsync();

        var delete = await Assert.ThrowsAsync<RpcException>(() =>
            identity.Client.DeleteTenantAsync(new TenantRequest { TenantId = platform }).ResponseAsync);
        var suspend = await Assert.ThrowsAsync<RpcException>(() =>
            identity.Client.SuspendTenantAsync(new TenantRequest { TenantId = platform }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, delete.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, suspend.StatusCode);
        var tenants = await identity.Client.ListTenantsAsync(new ListTenantsRequest { Page = new PageRequest { PageSize = 500 } });
        Assert.Equal(TenantState.Active, tenants.Tenants.Single(t => t.Id == platform).State);
    }

    [Fact]
    public async Task A_suspended_tenants_keys_are_refused_until_it_is_resumed_and_its_data_is_kept()
    {
        var tenant = await identity.NewTenantAsync();
        var key = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = tenant, Scopes = { Scope.Read } });
        var collection = await identity.Client.NewCollectionAsync(tenant);

        var suspended = await identity.Client.SuspendTenantAsync(new TenantRequest { TenantId = tenant });
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key.Key }).ResponseAsync);
        var kept = await identity.Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = collection.Id });
        var resumed = await identity.Client.ResumeTenantAsync(new TenantRequest { TenantId = tenant });
        var again = await identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key.Key });

        Assert.Equal(TenantState.Suspended, suspended.State);
        Assert.NotNull(suspended.SuspendedAt);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("suspended", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(collection.Id, kept.Id);
        Assert.Equal(TenantState.Active, resumed.State);
        Assert.Null(resumed.SuspendedAt);
        Assert.Equal(tenant, again.TenantId);
    }

    [Fact]
    public async Task An_expired_key_is_refused_and_an_expiry_in_the_past_is_invalid()
    {
        var tenant = await identity.NewTenantAsync();
        var expiry = DateTimeOffset.UtcNow.AddHours(1);
        var key = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest
        {
            TenantId = tenant,
            Scopes = { Scope.Read },
            ExpiresAt = Timestamp.FromDateTimeOffset(expiry),
        });
        var valid = await identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key.Key });
        await ExecuteAsync("UPDATE api_keys SET \"ExpiresAt\" = now() - interval '1 second' WHERE \"Id\" = $1", Guid.Parse(key.ApiKey.Id));

        var expired = await Assert.ThrowsAsync<RpcException>(() =>
            identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key.Key }).ResponseAsync);
        var past = await Assert.ThrowsAsync<RpcException>(() => identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest
        {
            TenantId = tenant,
            Scopes = { Scope.Read },
            ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
        }).ResponseAsync);

        Assert.Equal(expiry.ToUnixTimeSeconds(), key.ApiKey.ExpiresAt.ToDateTimeOffset().ToUnixTimeSeconds());
        Assert.Equal(tenant, valid.TenantId);
        Assert.Equal(StatusCode.Unauthenticated, expired.StatusCode);
        Assert.Contains("expired", expired.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, past.StatusCode);
    }

    [Fact]
    public async Task The_last_use_of_a_key_is_listed_and_written_at_most_once_a_minute()
    {
        var tenant = await identity.NewTenantAsync();
        var key = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = tenant, Scopes = { Scope.Read } });
        var keyId = Guid.Parse(key.ApiKey.Id);
        var never = await ListedAsync(tenant, key.ApiKey.Id);

        await identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key.Key });
        var used = await ListedAsync(tenant, key.ApiKey.Id);
        await identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key.Key });
        var usedAgain = await ListedAsync(tenant, key.ApiKey.Id);
        await ExecuteAsync("UPDATE api_keys SET \"LastUsedAt\" = now() - interval '2 minutes' WHERE \"Id\" = $1", keyId);
        var stale = await ListedAsync(tenant, key.ApiKey.Id);
        await identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key.Key });
        var refreshed = await ListedAsync(tenant, key.ApiKey.Id);

        Assert.Null(never.LastUsedAt);
        Assert.NotNull(used.LastUsedAt);
        Assert.Equal(used.LastUsedAt, usedAgain.LastUsedAt);
        Assert.True(refreshed.LastUsedAt.ToDateTimeOffset() > stale.LastUsedAt.ToDateTimeOffset().AddMinutes(1));
    }

    [Fact]
    public async Task Every_audited_call_is_recorded_with_its_actor_address_and_outcome_newest_first()
    {
        var tenant = await identity.NewTenantAsync();
        var admin = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = tenant, Scopes = { Scope.Admin } });
        var caller = Caller(tenant, admin.ApiKey.Id);
        var random = new Random(7);
        var face = Galleries.RandomUnit(random);

        var key = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = tenant, Scopes = { Scope.Read } }, caller);
        var collection = await identity.Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "audited" }, caller);
        var subject = await identity.Client.CreateSubjectAsync(new CreateSubjectRequest { TenantId = tenant, CollectionId = collection.Id, ExternalId = "s" }, caller);
        var enrolled = await identity.Client.EnrollAsync(new EnrollRequest
        {
            TenantId = tenant,
            CollectionId = collection.Id,
            SubjectId = subject.Id,
            Faces = { new FaceToEnroll { Embedding = Galleries.Embedding(face), Quality = 0.9f } },
        }, caller);
        await identity.Client.SearchAsync(new SearchRequest { TenantId = tenant, CollectionId = collection.Id, Queries = { Galleries.Embedding(face) } }, caller);
        await identity.Client.VerifyAsync(new VerifyEmbeddingRequest
        {
            TenantId = tenant,
            CollectionId = collection.Id,
            SubjectId = subject.Id,
            Embedding = Galleries.Embedding(face),
        }, caller);
        await identity.Client.DeleteFaceAsync(new DeleteFaceRequest { TenantId = tenant, CollectionId = collection.Id, FaceId = enrolled.Faces[0].Id }, caller);
        await identity.Client.DeleteSubjectAsync(new DeleteSubjectRequest { TenantId = tenant, CollectionId = collection.Id, SubjectId = subject.Id }, caller);
        await identity.Client.DeleteCollectionAsync(new DeleteCollectionRequest { TenantId = tenant, CollectionId = collection.Id }, caller);
        var missing = await Assert.ThrowsAsync<RpcException>(() => identity.Client.DeleteCollectionAsync(
            new DeleteCollectionRequest { TenantId = tenant, CollectionId = collection.Id }, caller).ResponseAsync);
        await identity.Client.RevokeApiKeyAsync(new RevokeApiKeyRequest { TenantId = tenant, KeyId = key.ApiKey.Id }, caller);
        await identity.Client.SuspendTenantAsync(new TenantRequest { TenantId = tenant }, caller);
        await identity.Client.ResumeTenantAsync(new TenantRequest { TenantId = tenant }, caller);

        var events = new List<AuditEvent>();
        var token = string.Empty;
        do
        {
            var page = await identity.Client.ListAuditEventsAsync(new ListAuditEventsRequest
            {
                TenantId = tenant,
                Page = new PageRequest { PageSize = 4, PageToken = token },
            });
            Assert.True(page.Events.Count <= 4);
            events.AddRange(page.Events);
            token = page.Page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        // The tenant and the first key were made without caller metadata (no actor): they are recorded too, without one.
        string[] expected =
        [
            "tenant.created OK", "key.created OK", "key.created OK", "collection.created OK", "subject.created OK", "face.enrolled OK", "search OK",
            "verify OK", "face.deleted OK", "subject.deleted OK", "collection.deleted OK", "collection.deleted NOT_FOUND",
            "key.revoked OK", "tenant.suspended OK", "tenant.resumed OK",
        ];
        Assert.Equal(expected.Order(), events.Select(e => $"{e.Action} {e.Outcome}").Order());
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        // Newest first: the times as listed are the times sorted from newest to oldest.
        var times = events.Select(e => e.Time.ToDateTimeOffset()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        var acted = events.Where(e => e.ActorKeyId.Length > 0).ToList();
        Assert.Equal(expected.Length - 2, acted.Count);
        Assert.All(acted, e =>
        {
            Assert.Equal(admin.ApiKey.Id, e.ActorKeyId);
            Assert.Equal(tenant, e.ActorTenantId);
            Assert.Equal(Address, e.ClientAddress);
            Assert.Equal(tenant, e.TenantId);
        });
        Assert.Contains(events, e => e.Action == "face.enrolled"
            && e.Resource == $"collections/{collection.Id}/subjects/{subject.Id}/faces/{enrolled.Faces[0].Id}");
        Assert.Contains(events, e => e.Action == "key.created" && e.Resource == $"keys/{key.ApiKey.Id}");
    }

    [Fact]
    public async Task Deleting_a_subject_or_a_collection_removes_every_cached_answer_that_names_the_person()
    {
        var tenant = await identity.NewTenantAsync();
        var collection = await identity.Client.NewCollectionAsync(tenant);
        var random = new Random(3);
        var face = Galleries.RandomUnit(random);
        var name = "Lin-" + Guid.NewGuid().ToString("N")[..8];
        var subject = await identity.Client.NewSubjectAsync(tenant, collection.Id, "lin", name);
        await identity.Client.EnrollAsync(tenant, collection.Id, subject.Id, [face]);
        await CacheAnswersNamingAsync(tenant, collection.Id, subject.Id, face, name);

        await identity.Client.DeleteSubjectAsync(new DeleteSubjectRequest { TenantId = tenant, CollectionId = collection.Id, SubjectId = subject.Id });

        Assert.Empty(await Leftovers.InRedisAsync(identity.Servers.Redis, [name]));

        var other = "Mei-" + Guid.NewGuid().ToString("N")[..8];
        var second = await identity.Client.NewSubjectAsync(tenant, collection.Id, "mei", other);
        await identity.Client.EnrollAsync(tenant, collection.Id, second.Id, [face]);
        await CacheAnswersNamingAsync(tenant, collection.Id, second.Id, face, other);

        await identity.Client.DeleteCollectionAsync(new DeleteCollectionRequest { TenantId = tenant, CollectionId = collection.Id });

        Assert.Empty(await Leftovers.InRedisAsync(identity.Servers.Redis, [other]));
        // Only the version tombstone stays until it expires: it holds a number, and stops answers computed before the
        // delete from being stored after it.
        Assert.All(await Leftovers.InRedisAsync(identity.Servers.Redis, Ids(collection.Id)),
            key => Assert.StartsWith(CacheKeys.CollectionVersion(Guid.Parse(collection.Id)), key, StringComparison.Ordinal));
    }

    /// <summary>A search answer, a subject answer and a gateway analysis that name the person, all in Redis.</summary>
    private async Task CacheAnswersNamingAsync(string tenant, string collection, string subject, float[] face, string name)
    {
        var found = await identity.Client.SearchAsync(tenant, collection, face);
        Assert.Equal(name, found.Results[0].Matches[0].DisplayName);
        await identity.Client.GetSubjectAsync(new GetSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = subject });
        await WriteGatewayAnalysesAsync(tenant, collection, name);
        await EventuallyAsync(async () => (await Leftovers.InRedisAsync(identity.Servers.Redis, [name])).Count >= 2);
    }

    /// <summary>What the gateway stores (Caching/AnalysisCache.cs): an analysis that searched the collection, one that did not.</summary>
    private async Task WriteGatewayAnalysesAsync(string tenant, string collection, string name)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(identity.Servers.Redis);
        var database = redis.GetDatabase();
        await database.HashSetAsync(CacheKeys.CollectionAnalyses(Guid.Parse(collection)), "photo:options", $"faces: [{name}]");
        await database.KeyExpireAsync(CacheKeys.CollectionAnalyses(Guid.Parse(collection)), TimeSpan.FromMinutes(10));
        await database.StringSetAsync(CacheKeys.TenantAnalysis(Guid.Parse(tenant), "photo:options"), "faces: []", TimeSpan.FromMinutes(10));
    }

    private static Metadata Caller(string tenant, string keyId = "") => new()
    {
        { CallerMetadata.TenantId, tenant },
        { CallerMetadata.KeyId, keyId.Length > 0 ? keyId : Guid.NewGuid().ToString() },
        { CallerMetadata.ClientAddress, Address },
    };

    private static string[] Ids(string id) => [id, Guid.Parse(id).ToString("N")];

    private async Task<ApiKey> ListedAsync(string tenant, string keyId) =>
        (await identity.Client.ListApiKeysAsync(new ListApiKeysRequest { TenantId = tenant })).ApiKeys.Single(k => k.Id == keyId);

    /// <summary>The platform's own tenant ("admin") of this fixture's database.</summary>
    private async Task<string> PlatformTenantAsync()
    {
        var tenants = await identity.Client.ListTenantsAsync(new ListTenantsRequest { Page = new PageRequest { PageSize = 500 } });
        return tenants.Tenants.FirstOrDefault(t => t.Name == "admin")?.Id
            ?? (await identity.Client.CreateTenantAsync(new CreateTenantRequest { Name = "admin" })).Id;
    }

    private async Task ExecuteAsync(string sql, Guid id)
    {
        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = id });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    /// <summary>Cache writes are fire and forget: waits (at most 10 s) until they have landed.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(await condition(), "the cached answers never reached Redis");
    }
}
