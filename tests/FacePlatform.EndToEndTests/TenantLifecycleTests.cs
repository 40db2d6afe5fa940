using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Grpc.Core;
using Npgsql;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// Tenant lifecycle through the gateway, the platform running as processes with real photos: a deleted tenant leaves
/// nothing in PostgreSQL or Redis (scanned whole), a suspended tenant is refused, keys expire and show their last use,
/// and the audit log records who did what from where, readable only by the tenant's own admins and the platform's.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class TenantLifecycleTests(PlatformFixture platform)
{
    private HttpClient Http => platform.Http;

    [Fact]
    public async Task Deleting_a_tenant_leaves_nothing_of_it_in_postgres_or_redis()
    {
        var (tenant, key) = await platform.NewTenantAsync();
        var barack = "Barack-" + Guid.NewGuid().ToString("N")[..8];
        var kit = "Kit-" + Guid.NewGuid().ToString("N")[..8];
        var first = await CreateCollectionAsync(key, "first");
        var second = await CreateCollectionAsync(key, "second");
        var barackId = await EnrolAsync(key, first, barack, Photos.Obama1);
        await EnrolAsync(key, second, kit, Photos.Kit1);
        // Cached answers of every kind: analyses without and with a search (the gateway caches once it knows the model
        // set, so the plain analysis goes first), a search, a subject.
        await PostFormAsync("/v1/analyze", key, Photos.Form(Photos.ObamaProbe));
        var analysed = await PostFormAsync("/v1/analyze", key, Photos.Form(Photos.ObamaProbe, "image", ("collection", first)));
        Assert.Contains(barack, analysed, StringComparison.Ordinal);
        await PostFormAsync("/v1/analyze", key, Photos.Form(Photos.KitProbe));
        await PostFormAsync($"/v1/collections/{second}/search", key, Photos.Form(Photos.KitProbe));
        using (var subject = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{first}/subjects/{barackId}", key)))
        {
            Assert.Equal(HttpStatusCode.OK, subject.StatusCode);
        }

        string[] needles = [.. Ids(tenant), .. Ids(first), .. Ids(second), barack, kit];
        await EventuallyAsync(async () => (await Leftovers.InRedisAsync(platform.Redis, [barack])).Count >= 2);
        Assert.NotEmpty(await Leftovers.InRedisAsync(platform.Redis, Ids(tenant)));

        using var deleted = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Delete, $"/v1/admin/tenants/{tenant}", platform.AdminKey));
        var result = await deleted.Content.ReadFromJsonAsync<JsonElement>();
        using var refused = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(2, result.GetProperty("deletedCollections").GetInt64());
        Assert.Equal(2, result.GetProperty("deletedSubjects").GetInt64());
        Assert.Equal(2, result.GetProperty("deletedFaces").GetInt64());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var rows = await Leftovers.InPostgresAsync(platform.Database, needles);
        var record = Assert.Single(rows);
        Assert.StartsWith("audit_events:", record, StringComparison.Ordinal);
        Assert.Contains("tenant.deleted", record, StringComparison.Ordinal);
        Assert.Empty(await Leftovers.InRedisAsync(platform.Redis, needles));
    }

    [Fact]
    public async Task Deleting_a_subject_drops_the_cached_analyses_that_named_them()
    {
        var (_, key) = await platform.NewTenantAsync();
        var name = "Barack-" + Guid.NewGuid().ToString("N")[..8];
        var collection = await CreateCollectionAsync(key, "people");
        var subject = await EnrolAsync(key, collection, name, Photos.Obama1);
        await PostFormAsync("/v1/analyze", key, Photos.Form(Photos.ObamaProbe));
        var analysed = await PostFormAsync("/v1/analyze", key, Photos.Form(Photos.ObamaProbe, "image", ("collection", collection)));
        Assert.Contains(name, analysed, StringComparison.Ordinal);
        await EventuallyAsync(async () => (await Leftovers.InRedisAsync(platform.Redis, [name])).Count > 0);

        using var deleted = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Delete, $"/v1/collections/{collection}/subjects/{subject}", key));
        var again = await PostFormAsync("/v1/analyze", key, Photos.Form(Photos.ObamaProbe, "image", ("collection", collection)));

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Empty(await Leftovers.InRedisAsync(platform.Redis, [name]));
        Assert.DoesNotContain(name, again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_suspended_tenant_is_refused_with_403_until_resumed_and_keeps_its_data()
    {
        var (tenant, key) = await platform.NewTenantAsync();
        var collection = await CreateCollectionAsync(key, "kept");

        using var byTenantAdmin = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/admin/tenants/{tenant}:suspend", key));
        using var suspended = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/admin/tenants/{tenant}:suspend", platform.AdminKey));
        using var rest = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{collection}", key));
        var grpc = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.GetCollectionAsync(
            new GetCollectionRequest { CollectionId = collection }, PlatformFixture.WithKey(key)).ResponseAsync);
        var resumed = (await platform.FaceClient.ResumeTenantAsync(new ResumeTenantRequest { TenantId = tenant }, PlatformFixture.WithKey(platform.AdminKey))).Tenant;
        using var after = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{collection}", key));

        Assert.Equal(HttpStatusCode.Forbidden, byTenantAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, suspended.StatusCode);
        Assert.Equal("suspended", (await suspended.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, rest.StatusCode);
        Assert.Contains("suspended", (await rest.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, grpc.StatusCode);
        Assert.Equal(TenantState.Active, resumed.State);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task The_platform_tenant_cannot_be_suspended_or_deleted()
    {
        using var tenants = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/admin/tenants?pageSize=500", platform.AdminKey));
        var platformTenant = (await tenants.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == "admin").GetProperty("id").GetString();

        using var suspend = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/admin/tenants/{platformTenant}:suspend", platform.AdminKey));
        using var delete = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Delete, $"/v1/admin/tenants/{platformTenant}", platform.AdminKey));
        using var stillAdmin = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/admin/tenants", platform.AdminKey));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, suspend.StatusCode);
        Assert.Contains("cannot be suspended", (await suspend.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, delete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stillAdmin.StatusCode);
    }

    [Fact]
    public async Task An_expired_key_is_refused_and_listings_show_expiry_and_last_use()
    {
        var (tenant, _) = await platform.NewTenantAsync();
        var expiry = DateTimeOffset.UtcNow.AddHours(1);
        using var created = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/admin/tenants/{tenant}/keys", platform.AdminKey,
            new { name = "temporary", scopes = new[] { "read" }, expiresAt = expiry }));
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("key").GetString()!;
        var keyId = body.GetProperty("apiKey").GetProperty("id").GetString()!;
        var unused = await ListedKeyAsync(tenant, keyId);

        using var used = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));
        var listed = await ListedKeyAsync(tenant, keyId);
        await using (var connection = new NpgsqlConnection(platform.Database))
        {
            await connection.OpenAsync();
            await using var expire = new NpgsqlCommand("UPDATE api_keys SET \"ExpiresAt\" = now() - interval '1 second' WHERE \"Id\" = $1", connection);
            expire.Parameters.Add(new() { Value = Guid.Parse(keyId) });
            Assert.Equal(1, await expire.ExecuteNonQueryAsync());
        }

        using var expired = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));
        using var past = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/admin/tenants/{tenant}/keys", platform.AdminKey,
            new { name = "late", scopes = new[] { "read" }, expiresAt = DateTimeOffset.UtcNow.AddDays(-1) }));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(JsonValueKind.Null, unused.GetProperty("lastUsedAt").ValueKind);
        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        Assert.InRange(listed.GetProperty("lastUsedAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(expiry.ToUnixTimeSeconds(), listed.GetProperty("expiresAt").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
    }

    [Fact]
    public async Task The_audit_log_names_actor_and_address_and_only_the_tenants_admins_read_it()
    {
        var (tenant, key) = await platform.NewTenantAsync();
        var (_, strangerAdmin) = await platform.NewTenantAsync();
        var collection = await CreateCollectionAsync(key, "audited");
        var subject = await EnrolAsync(key, collection, "audited-person", Photos.Obama1);
        await PostFormAsync($"/v1/collections/{collection}/search", key, Photos.Form(Photos.ObamaProbe));
        await PostFormAsync("/v1/verify", key, Photos.Form(Photos.Obama2, "image1", ("collection", collection), ("subjectId", subject)));
        using (var deleted = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Delete, $"/v1/collections/{collection}/subjects/{subject}", key)))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var keyId = (await ListedKeysAsync(tenant)).Single(k => key.StartsWith(k.GetProperty("prefix").GetString()!, StringComparison.Ordinal))
            .GetProperty("id").GetString();
        using var own = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/admin/tenants/{tenant}/audit?pageSize=3", key));
        var firstPage = await own.Content.ReadFromJsonAsync<JsonElement>();
        var token = firstPage.GetProperty("nextPageToken").GetString();
        using var next = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/admin/tenants/{tenant}/audit?pageSize=100&pageToken={token}", key));
        var events = firstPage.GetProperty("events").EnumerateArray()
            .Concat((await next.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("events").EnumerateArray()).ToList();
        using var stranger = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/admin/tenants/{tenant}/audit", strangerAdmin));
        using var platformAdmin = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/admin/tenants/{tenant}/audit", platform.AdminKey));
        var overGrpc = await platform.FaceClient.ListAuditEventsAsync(new ListAuditEventsRequest(), PlatformFixture.WithKey(key));

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(3, firstPage.GetProperty("events").GetArrayLength());
        var actions = events.Select(e => e.GetProperty("action").GetString()).ToList();
        foreach (var action in new[] { "collection.created", "subject.created", "face.enrolled", "search", "verify", "subject.deleted", "key.created", "tenant.created" })
        {
            Assert.Contains(action, actions);
        }

        Assert.Equal(actions.Count, events.Select(e => e.GetProperty("id").GetString()).Distinct().Count());
        var byKey = events.Where(e => e.GetProperty("actorKeyId").GetString() == keyId).ToList();
        Assert.Equal(6, byKey.Count);
        Assert.All(byKey, e =>
        {
            Assert.Equal("127.0.0.1", e.GetProperty("clientAddress").GetString());
            Assert.Equal(tenant, e.GetProperty("actorTenantId").GetString());
            Assert.Equal("OK", e.GetProperty("outcome").GetString());
        });
        // The key itself was made by the platform admin: its actor is the platform tenant.
        Assert.NotEqual(tenant, events.Single(e => e.GetProperty("action").GetString() == "key.created").GetProperty("actorTenantId").GetString());
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Equal(HttpStatusCode.OK, platformAdmin.StatusCode);
        Assert.Equal(events.Select(e => e.GetProperty("id").GetString()), overGrpc.Events.Select(e => e.Id));
    }

    [Fact]
    public async Task The_openapi_document_describes_tenant_lifecycle_key_expiry_and_audit()
    {
        var document = await Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        var schemas = document.GetProperty("components").GetProperty("schemas");

        foreach (var (path, method) in new[]
        {
            ("/v1/admin/tenants/{tenantId}:suspend", "post"), ("/v1/admin/tenants/{tenantId}:resume", "post"),
            ("/v1/admin/tenants/{tenantId}", "delete"), ("/v1/admin/tenants/{tenantId}/audit", "get"),
        })
        {
            var operation = paths.GetProperty(path).GetProperty(method);
            var parameters = operation.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
            Assert.Contains("tenantId", parameters);
            Assert.True(operation.GetProperty("responses").TryGetProperty("200", out _), $"{method} {path} documents its answer");
        }

        Assert.Contains("pageToken", paths.GetProperty("/v1/admin/tenants/{tenantId}/audit").GetProperty("get").GetProperty("parameters")
            .EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.True(schemas.GetProperty("ApiKeyView").GetProperty("properties").TryGetProperty("lastUsedAt", out _));
        Assert.True(schemas.GetProperty("ApiKeyView").GetProperty("properties").TryGetProperty("expiresAt", out _));
        Assert.True(schemas.GetProperty("CreateApiKeyBody").GetProperty("properties").TryGetProperty("expiresAt", out _));
        Assert.True(schemas.GetProperty("AuditEventView").GetProperty("properties").TryGetProperty("clientAddress", out _));
        Assert.True(schemas.GetProperty("TenantView").GetProperty("properties").TryGetProperty("state", out _));
    }

    private async Task<string> CreateCollectionAsync(string key, string name)
    {
        using var created = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key, new { name }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>A subject named <paramref name="displayName"/> with the face of <paramref name="photo"/>; its id.</summary>
    private async Task<string> EnrolAsync(string key, string collection, string displayName, string photo)
    {
        using var created = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/collections/{collection}/subjects", key,
            new { externalId = Guid.NewGuid().ToString("N")[..12], displayName }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var subject = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await PostFormAsync($"/v1/collections/{collection}/subjects/{subject}/faces", key, Photos.Form(photo));
        return subject;
    }

    private async Task<string> PostFormAsync(string path, string key, HttpContent form)
    {
        using var request = PlatformFixture.Request(HttpMethod.Post, path, key);
        request.Content = form;
        using var answer = await Http.SendAsync(request);
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"{path}: {(int)answer.StatusCode} {body}");
        return body;
    }

    private async Task<List<JsonElement>> ListedKeysAsync(string tenant)
    {
        using var listed = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/admin/tenants/{tenant}/keys", platform.AdminKey));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        return [.. (await listed.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()];
    }

    private async Task<JsonElement> ListedKeyAsync(string tenant, string keyId) =>
        (await ListedKeysAsync(tenant)).Single(k => k.GetProperty("id").GetString() == keyId);

    private static string[] Ids(string id) => [id, Guid.Parse(id).ToString("N")];

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
