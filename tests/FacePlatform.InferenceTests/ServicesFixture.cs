extern alias attributes;
extern alias embedding;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Testing;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;

namespace FacePlatform.InferenceTests;

/// <summary>Both inference services in-process on test servers, with the real models; shared by the test classes.</summary>
public sealed class ServicesFixture : IAsyncLifetime
{
    private WebApplicationFactory<embedding::Program>? _embedding;
    private WebApplicationFactory<attributes::Program>? _attributes;

    public EmbeddingService.EmbeddingServiceClient Embedding { get; private set; } = null!;

    public AttributesService.AttributesServiceClient Attributes { get; private set; } = null!;

    public HttpClient EmbeddingHttp { get; private set; } = null!;

    public HttpClient AttributesHttp { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var models = Paths.Models;
        _embedding = new WebApplicationFactory<embedding::Program>().WithWebHostBuilder(b => Configure(b, models, "embedding"));
        _attributes = new WebApplicationFactory<attributes::Program>().WithWebHostBuilder(b => Configure(b, models, "attributes"));
        EmbeddingHttp = _embedding.CreateClient();
        AttributesHttp = _attributes.CreateClient();
        await Task.WhenAll(Readiness.WaitAsync(EmbeddingHttp, "embedding", TimeSpan.FromSeconds(120)), Readiness.WaitAsync(AttributesHttp, "attributes", TimeSpan.FromSeconds(120)));
        Embedding = new EmbeddingService.EmbeddingServiceClient(GrpcChannel.ForAddress(
            _embedding.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _embedding.Server.CreateHandler(AsGateway), MaxReceiveMessageSize = 64 << 20 }));
        Attributes = new AttributesService.AttributesServiceClient(GrpcChannel.ForAddress(
            _attributes.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _attributes.Server.CreateHandler(AsGateway) }));
    }

    public async Task DisposeAsync()
    {
        EmbeddingHttp?.Dispose();
        AttributesHttp?.Dispose();
        if (_embedding is not null)
        {
            await _embedding.DisposeAsync();
        }

        if (_attributes is not null)
        {
            await _attributes.DisposeAsync();
        }
    }

    /// <summary>The test server's connections carry the gateway's client certificate, the one caller the services accept.</summary>
    private static void AsGateway(HttpContext context) => context.Connection.ClientCertificate = TestCertificates.Platform.Certificate("gateway");

    private static void Configure(IWebHostBuilder builder, string models, string service)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in TestCertificates.Platform.Settings(service, ":"))
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("Models:Directory", models);
        builder.UseSetting("Inference:Provider", "cpu");
        // A wider window than production so the concurrency test sees coalescing on a loaded 2-core machine too.
        builder.UseSetting("Inference:BatchWindowMilliseconds", "5");
        builder.UseSetting("Detection:MinFaceSize", "40");
    }
}

[CollectionDefinition(Name)]
public sealed class ServicesCollection : ICollectionFixture<ServicesFixture>
{
    public const string Name = "inference services";
}
