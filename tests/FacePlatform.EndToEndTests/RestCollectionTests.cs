using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace FacePlatform.EndToEndTests;

/// <summary>Collections over REST through the gateway, as an application calls them.</summary>
[Collection(PlatformCollection.Name)]
public sealed class RestCollectionTests(PlatformFixture platform)
{
    private HttpClient Http => platform.Http;

    [Fact]
    public async Task Create_list_get_and_delete_a_collection()
    {
        var (_, key) = await platform.NewTenantAsync();

        using var created = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key,
            new { name = "visitors", description = "front desk" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var collection = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = collection.GetProperty("id").GetString();
        Assert.Equal($"/v1/collections/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("faceres", collection.GetProperty("modelId").GetString());

        using var listed = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));
        var list = await listed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, Assert.Single(list.GetProperty("collections").EnumerateArray()).GetProperty("id").GetString());

        using var got = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{id}", key));
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("front desk", (await got.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("description").GetString());

        using var deleted = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Delete, $"/v1/collections/{id}", key));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        using var gone = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{id}", key));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await gone.ReadProblemAsync();
    }

    [Fact]
    public async Task Without_a_valid_key_the_answer_is_401_problem_details()
    {
        using var none = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key: null));
        using var wrong = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", "fp_wrong"));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var problem = await none.ReadProblemAsync();
        Assert.Contains("X-Api-Key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await wrong.ReadProblemAsync();
    }

    [Fact]
    public async Task A_key_of_another_tenant_gets_404_and_cannot_delete()
    {
        var (_, owner) = await platform.NewTenantAsync();
        var (_, stranger) = await platform.NewTenantAsync();
        using var created = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", owner, new { name = "mine" }));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        using var get = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{id}", stranger));
        using var delete = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Delete, $"/v1/collections/{id}", stranger));
        using var list = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", stranger));
        using var stillThere = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{id}", owner));

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        await get.ReadProblemAsync();
        Assert.Empty((await list.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("collections").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
    }

    [Fact]
    public async Task A_malformed_body_is_400_problem_details_and_changes_nothing()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var request = PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key);
        request.Content = new StringContent("{\"name\": ", Encoding.UTF8, "application/json");

        using var answer = await Http.SendAsync(request);
        using var list = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var problem = await answer.ReadProblemAsync();
        Assert.Contains("JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty((await list.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("collections").EnumerateArray());
    }

    [Fact]
    public async Task An_invalid_name_is_400_with_the_reason()
    {
        var (_, key) = await platform.NewTenantAsync();

        using var answer = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key, new { name = "no spaces allowed" }));

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("collection name", (await answer.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_name_is_409()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var first = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key, new { name = "twice" }));

        using var second = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key, new { name = "twice" }));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        await second.ReadProblemAsync();
    }

    [Fact]
    public async Task A_read_only_key_may_list_but_not_create()
    {
        var (tenant, _) = await platform.NewTenantAsync();
        var reader = await platform.NewKeyAsync(tenant, "read");

        using var list = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", reader));
        using var create = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", reader, new { name = "nope" }));

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        await create.ReadProblemAsync();
    }

    [Fact]
    public async Task A_revoked_key_stops_working()
    {
        var (tenant, key) = await platform.NewTenantAsync();
        using var keys = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/admin/tenants/{tenant}/keys", key));
        var keyId = Assert.Single((await keys.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()).GetProperty("id").GetString();
        using var before = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));

        using var revoke = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Delete, $"/v1/admin/tenants/{tenant}/keys/{keyId}", platform.AdminKey));
        using var after = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_cannot_manage_another_tenant_or_create_tenants()
    {
        var (_, tenantAdmin) = await platform.NewTenantAsync("admin");
        var (other, _) = await platform.NewTenantAsync();

        using var keys = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/admin/tenants/{other}/keys", tenantAdmin));
        using var tenants = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/admin/tenants", tenantAdmin, new { name = "sneaky" }));

        Assert.Equal(HttpStatusCode.NotFound, keys.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tenants.StatusCode);
    }
}
