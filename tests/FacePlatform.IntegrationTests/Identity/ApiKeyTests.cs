using System.Security.Cryptography;
using System.Text;
using FacePlatform.Contracts.Internal.V1;
using Grpc.Core;
using Npgsql;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>Tenants and API keys: only hashes are stored, revocation works.</summary>
public sealed class ApiKeyTests(IdentityServiceFixture identity) : IClassFixture<IdentityServiceFixture>
{
    [Fact]
    public async Task A_new_key_authenticates_as_its_tenant_with_its_scopes()
    {
        var tenant = await identity.NewTenantAsync();
        var created = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest
        {
            TenantId = tenant,
            Name = "reader",
            Scopes = { Scope.Read },
        });

        var answer = await identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = created.Key });

        Assert.Equal(tenant, answer.TenantId);
        Assert.Equal(created.ApiKey.Id, answer.KeyId);
        Assert.Equal([Scope.Read], answer.Scopes);
        Assert.False(answer.PlatformAdmin);
        Assert.StartsWith(created.ApiKey.Prefix, created.Key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_sha256_of_a_key_is_stored()
    {
        var tenant = await identity.NewTenantAsync();
        var created = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = tenant, Scopes = { Scope.Write } });

        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT \"Hash\", row_to_json(api_keys)::text FROM api_keys WHERE \"Id\" = @id", connection);
        command.Parameters.AddWithValue("id", Guid.Parse(created.ApiKey.Id));
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var hash = (byte[])reader[0];
        var row = reader.GetString(1);

        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(created.Key)), hash);
        Assert.DoesNotContain(created.Key, row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoked_or_unknown_key_is_unauthenticated()
    {
        var tenant = await identity.NewTenantAsync();
        var created = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = tenant, Scopes = { Scope.Read } });

        await identity.Client.RevokeApiKeyAsync(new RevokeApiKeyRequest { TenantId = tenant, KeyId = created.ApiKey.Id });
        var revoked = await Assert.ThrowsAsync<RpcException>(() => identity.Client.AuthenticateApiKeyAsync(
            new AuthenticateApiKeyRequest { Key = created.Key }).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => identity.Client.AuthenticateApiKeyAsync(
            new AuthenticateApiKeyRequest { Key = "fp_not-a-key" }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, revoked.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
    }

    [Fact]
    public async Task Another_tenant_cannot_revoke_a_key()
    {
        var owner = await identity.NewTenantAsync();
        var stranger = await identity.NewTenantAsync();
        var created = await identity.Client.CreateApiKeyAsync(new CreateApiKeyRequest { TenantId = owner, Scopes = { Scope.Read } });

        var error = await Assert.ThrowsAsync<RpcException>(() => identity.Client.RevokeApiKeyAsync(
            new RevokeApiKeyRequest { TenantId = stranger, KeyId = created.ApiKey.Id }).ResponseAsync);
        var stillValid = await identity.Client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = created.Key });

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(owner, stillValid.TenantId);
    }

    [Fact]
    public async Task A_key_without_scopes_is_refused()
    {
        var tenant = await identity.NewTenantAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => identity.Client.CreateApiKeyAsync(
            new CreateApiKeyRequest { TenantId = tenant }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}
