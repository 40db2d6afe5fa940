using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Testing;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>
/// The identity service in-process (ASP.NET Core test server) against a fresh database on the real PostgreSQL and
/// the real Redis; one per test class.
/// </summary>
public sealed class IdentityServiceFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;

    public Servers Servers { get; private set; } = null!;

    public string Database { get; private set; } = string.Empty;

    public IdentityService.IdentityServiceClient Client { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Servers = await Infrastructure.GetAsync();
        Database = await Servers.CreateDatabaseAsync("identity");
        _factory = Start(Database, Servers.Redis);
        Http = _factory.CreateClient();
        await WaitUntilReadyAsync(Http);
        Client = GatewayClient(_factory);
    }

    /// <summary>Another identity service on the same test server machinery, with other settings.</summary>
    public static WebApplicationFactory<Program> Start(string postgres, string redis, params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:Postgres", postgres);
            builder.UseSetting("ConnectionStrings:Redis", redis);
            builder.UseSetting("Identity:StartupRetrySeconds", "1");
            foreach (var (key, value) in TestCertificates.Platform.Settings("identity", ":"))
            {
                builder.UseSetting(key, value);
            }
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });

    /// <summary>The running service's services (its singletons), for tests that look inside.</summary>
    public IServiceProvider Services => _factory?.Services ?? throw new InvalidOperationException("the fixture is not started");

    /// <summary>A gRPC client and an HTTP client of a service started by <see cref="Start"/>, once it is ready.</summary>
    public static async Task<(IdentityService.IdentityServiceClient Client, HttpClient Http)> ConnectAsync(WebApplicationFactory<Program> factory)
    {
        var http = factory.CreateClient();
        await WaitUntilReadyAsync(http);
        return (GatewayClient(factory), http);
    }

    /// <summary>
    /// A client of the service as the gateway calls it: the test server's connection carries the gateway's client
    /// certificate, which identity checks as it checks one that came through a TLS handshake.
    /// </summary>
    public static IdentityService.IdentityServiceClient GatewayClient(WebApplicationFactory<Program> factory, string caller = "gateway") =>
        new(GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = factory.Server.CreateHandler(context =>
                context.Connection.ClientCertificate = TestCertificates.Platform.Certificate(caller)),
        }));

    /// <summary>Polls <c>/readyz</c> until the migrations are applied (at most 60 s).</summary>
    public static Task WaitUntilReadyAsync(HttpClient http) => Readiness.WaitAsync(http, "identity", TimeSpan.FromSeconds(60));

    /// <summary>A new tenant of its own, so no test sees another's rows.</summary>
    public async Task<string> NewTenantAsync() =>
        (await Client.CreateTenantAsync(new CreateTenantRequest { Name = "t-" + Guid.NewGuid().ToString("N")[..12] })).Id;

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (Servers is not null && Database.Length > 0)
        {
            await Servers.DropDatabaseAsync(Database);
        }
    }
}
