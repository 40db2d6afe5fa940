using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;

namespace FacePlatform.Testing;

/// <summary>
/// The whole platform, started once for the end-to-end tests: identity, embedding, attributes and the gateway as
/// processes on free ports, a fresh database on the real PostgreSQL, the real Redis, and a bootstrap admin key.
/// Tests make their own tenants, so none depends on another's data. Suites that need other settings override
/// <see cref="Configure"/>. Identity, embedding and attributes serve gRPC over mutual TLS with the certificates of
/// <see cref="TestCertificates.Platform"/>, the gateway calling them with its own; <see cref="InternalChannel"/>
/// calls them as any service would.
/// </summary>
public class PlatformFixture : IAsyncLifetime
{
    private readonly List<ServiceProcess> _services = [];
    private Servers _servers = null!;
    private string _database = string.Empty;

    /// <summary>The one origin other than its own whose pages the gateway lets call it (CORS).</summary>
    public const string AllowedBrowserOrigin = "https://app.faceplatform.test";

    public string AdminKey { get; } = "fp_e2e-admin-" + Guid.NewGuid().ToString("N");

    public ServiceProcess Identity { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    public ServiceProcess Attributes { get; private set; } = null!;

    public IReadOnlyList<ServiceProcess> Services => _services;

    /// <summary>Npgsql connection string of identity's database, for tests that look inside.</summary>
    public string Database => _database;

    /// <summary>StackExchange.Redis configuration of the Redis every service uses.</summary>
    public string Redis => _servers.Redis;

    /// <summary>REST client of the gateway without a key.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>gRPC channel to the gateway's public gRPC port.</summary>
    public GrpcChannel Channel { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        _servers = await GetServersAsync();
        _database = await _servers.CreateDatabaseAsync("e2e");
        var models = Environment.GetEnvironmentVariable("FACEPLATFORM_MODELS_DIR")
            ?? Path.Combine(RepositoryPaths.Root, ".data", "models");

        Identity = Add("Identity", new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = _database,
            ["ConnectionStrings__Redis"] = _servers.Redis,
            ["Identity__BootstrapAdminApiKey"] = AdminKey,
        });
        var embedding = Add("Embedding", new Dictionary<string, string> { ["Models__Directory"] = models });
        var attributes = Attributes = Add("Attributes", new Dictionary<string, string> { ["Models__Directory"] = models });
        Gateway = Add("Gateway", new Dictionary<string, string>
        {
            // https: the gateway calls the internal services over mutual TLS, with its certificate (see Add).
            ["Services__Identity__Url"] = Identity.GrpcAddress.ToString(),
            ["Services__Embedding__Url"] = embedding.GrpcAddress.ToString(),
            ["Services__Attributes__Url"] = attributes.GrpcAddress.ToString(),
            ["ConnectionStrings__Redis"] = _servers.Redis,
            // Revocation must show at once in tests; in production a few seconds of caching saves a call per request.
            ["Auth__KeyCacheSeconds"] = "0",
            // Small enough for a test to reach in a burst, large enough that no other test does.
            ["RateLimit__RequestsPerSecond"] = "20",
            ["RateLimit__Burst"] = "60",
            // One browser origin besides the gateway's own, for the CORS tests (the default is none).
            ["Cors__AllowedOrigins__0"] = AllowedBrowserOrigin,
        });

        foreach (var service in _services)
        {
            service.Start();
        }

        await Task.WhenAll(_services.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(120))));
        Http = new HttpClient { BaseAddress = Gateway.HttpAddress, Timeout = TimeSpan.FromSeconds(30) };
        Channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{Gateway.GrpcPort}"));
    }

    /// <summary>Stops identity and starts it again on the same ports and database.</summary>
    public async Task RestartIdentityAsync()
    {
        await Identity.StopAsync();
        Identity.Start();
        await Identity.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        await Gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// A gRPC channel to an internal service's gRPC port that presents <paramref name="caller"/>'s certificate of
    /// <paramref name="authority"/> (default: the platform's), or none when <paramref name="caller"/> is null.
    /// </summary>
    public static GrpcChannel InternalChannel(ServiceProcess service, string? caller = "gateway", TestCertificates? authority = null) =>
        GrpcChannel.ForAddress(service.GrpcAddress, new GrpcChannelOptions
        {
            HttpHandler = (authority ?? TestCertificates.Platform).ClientHandler(caller),
            DisposeHttpClient = true,
        });

    /// <summary>
    /// Posts <paramref name="content"/> with an API key and returns the JSON answer; anything but a success fails the
    /// test with the path, status and body.
    /// </summary>
    public static async Task<JsonElement> PostAsync(HttpClient http, string path, string key, HttpContent content)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = Request(HttpMethod.Post, path, key);
        request.Content = content;
        return await SucceededAsync(http, path, request);
    }

    /// <summary>Posts <paramref name="body"/> as JSON with an API key and returns the JSON answer (as <see cref="PostAsync"/>).</summary>
    public static async Task<JsonElement> PostJsonAsync(HttpClient http, string path, string key, object body)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = Request(HttpMethod.Post, path, key, body);
        return await SucceededAsync(http, path, request);
    }

    private static async Task<JsonElement> SucceededAsync(HttpClient http, string path, HttpRequestMessage request)
    {
        using var answer = await http.SendAsync(request);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"{path}: {(int)answer.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A REST request with an API key.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, string? key, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    /// <summary>A new tenant and a key of it with the given scopes, made through the admin API.</summary>
    public async Task<(string TenantId, string Key)> NewTenantAsync(params string[] scopes)
    {
        using var tenantAnswer = await Http.SendAsync(Request(HttpMethod.Post, "/v1/admin/tenants", AdminKey,
            new { name = "e2e-" + Guid.NewGuid().ToString("N")[..12] }));
        Assert.Equal(HttpStatusCode.Created, tenantAnswer.StatusCode);
        var tenantId = (await tenantAnswer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        return (tenantId, await NewKeyAsync(tenantId, scopes.Length == 0 ? ["read", "write", "admin"] : scopes));
    }

    /// <summary>A new key of an existing tenant.</summary>
    public async Task<string> NewKeyAsync(string tenantId, params string[] scopes)
    {
        using var keyAnswer = await Http.SendAsync(Request(HttpMethod.Post, $"/v1/admin/tenants/{tenantId}/keys", AdminKey,
            new { name = "e2e", scopes }));
        Assert.Equal(HttpStatusCode.Created, keyAnswer.StatusCode);
        return (await keyAnswer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    /// <summary>gRPC call options carrying <paramref name="key"/> in metadata <c>x-api-key</c>.</summary>
    public static CallOptions WithKey(string? key) =>
        new(headers: key is null ? [] : new Metadata { { "x-api-key", key } }, deadline: DateTime.UtcNow.AddSeconds(30));

    public FaceService.FaceServiceClient FaceClient => new(Channel);

    public virtual async Task DisposeAsync()
    {
        Http?.Dispose();
        Channel?.Dispose();
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        if (_database.Length > 0)
        {
            await _servers.DropDatabaseAsync(_database);
        }
    }

    /// <summary>The PostgreSQL and Redis the platform runs on: the shared test servers unless a suite brings its own.</summary>
    protected virtual Task<Servers> GetServersAsync() => Infrastructure.GetAsync();

    /// <summary>Adds or changes settings of one service (<c>Identity</c>, <c>Embedding</c>, <c>Attributes</c>, <c>Gateway</c>) before it starts.</summary>
    protected virtual void Configure(string service, IDictionary<string, string> environment)
    {
    }

    private ServiceProcess Add(string name, Dictionary<string, string> environment)
    {
        foreach (var (key, value) in TestCertificates.Platform.Settings(name.ToLowerInvariant()))
        {
            environment[key] = value;
        }

        Configure(name, environment);
        var service = new ServiceProcess(name, Processes.FreePort(), Processes.FreePort(), environment, grpcOverTls: name != "Gateway");
        _services.Add(service);
        return service;
    }

}
