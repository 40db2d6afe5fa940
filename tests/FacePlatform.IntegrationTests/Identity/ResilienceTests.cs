using System.Diagnostics;
using System.Net;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Testing;
using Grpc.Core;
using Npgsql;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>What identity does when its dependencies are missing: a clear status, never a hang.</summary>
public sealed class ResilienceTests
{
    [Fact]
    public async Task Without_postgres_calls_fail_with_unavailable_before_their_deadline_and_readiness_fails()
    {
        var servers = await Infrastructure.GetAsync();
        var nowhere = new NpgsqlConnectionStringBuilder(servers.Postgres) { Port = Processes.FreePort(), Timeout = 3 }.ConnectionString;
        await using var factory = IdentityServiceFixture.Start(nowhere, servers.Redis);
        using var http = factory.CreateClient();
        var client = IdentityServiceFixture.GatewayClient(factory);

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RpcException>(() => client.ListCollectionsAsync(
            new ListCollectionsRequest { TenantId = Guid.NewGuid().ToString() },
            deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync);
        clock.Stop();
        var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task Without_redis_identity_is_ready_but_reports_redis_degraded()
    {
        var servers = await Infrastructure.GetAsync();
        var database = await servers.CreateDatabaseAsync("noredis");
        try
        {
            await using var factory = IdentityServiceFixture.Start(database, $"127.0.0.1:{Processes.FreePort()},connectTimeout=500");
            using var http = factory.CreateClient();
            await IdentityServiceFixture.WaitUntilReadyAsync(http);

            var body = await http.GetStringAsync(new Uri("/readyz", UriKind.Relative));

            Assert.Contains("\"status\":\"Degraded\"", body, StringComparison.Ordinal);
            Assert.Contains("\"redis\":{\"status\":\"Degraded\"", body, StringComparison.Ordinal);
        }
        finally
        {
            await servers.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task The_bootstrap_admin_key_makes_a_platform_admin_once()
    {
        var servers = await Infrastructure.GetAsync();
        var database = await servers.CreateDatabaseAsync("bootstrap");
        try
        {
            const string key = "fp_bootstrap-test-key-0123456789";
            for (var start = 0; start < 2; start++)
            {
                await using var factory = IdentityServiceFixture.Start(database, servers.Redis)
                    .WithWebHostBuilder(builder => builder.UseSetting("Identity:BootstrapAdminApiKey", key));
                using var http = factory.CreateClient();
                await IdentityServiceFixture.WaitUntilReadyAsync(http);
                var client = IdentityServiceFixture.GatewayClient(factory);

                var answer = await client.AuthenticateApiKeyAsync(new AuthenticateApiKeyRequest { Key = key });
                var tenants = await client.ListTenantsAsync(new ListTenantsRequest());

                Assert.True(answer.PlatformAdmin);
                Assert.Contains(Scope.Admin, answer.Scopes);
                Assert.Equal("admin", Assert.Single(tenants.Tenants).Name);
            }
        }
        finally
        {
            await servers.DropDatabaseAsync(database);
        }
    }

}
