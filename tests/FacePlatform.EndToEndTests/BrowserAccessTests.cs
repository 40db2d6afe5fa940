using System.Net;
using FacePlatform.Client;
using Grpc.Net.Client.Web;

namespace FacePlatform.EndToEndTests;

/// <summary>What browsers need from the gateway: CORS for the configured origins only, and grpc-web on the public FaceService.</summary>
[Collection(PlatformCollection.Name)]
public sealed class BrowserAccessTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_grpc_web_text_call_reaches_the_face_service_as_a_browser_sends_it()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(platform.Gateway.HttpAddress, new Grpc.Net.Client.GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWebText, new HttpClientHandler()),
            HttpVersion = HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
        var client = new Contracts.Face.V1.FaceService.FaceServiceClient(channel);

        var created = await client.CreateCollectionAsync(new Contracts.Face.V1.CreateCollectionRequest { Name = "grpc-web-text" }, PlatformFixture.WithKey(key));
        var listed = await client.ListCollectionsAsync(new Contracts.Face.V1.ListCollectionsRequest(), PlatformFixture.WithKey(key));

        Assert.Equal(created.Collection.Id, Assert.Single(listed.Collections).Id);
    }

    [Fact]
    public async Task A_preflight_from_the_configured_origin_is_answered()
    {
        using var answer = await platform.Http.SendAsync(Preflight(PlatformFixture.AllowedBrowserOrigin));

        Assert.True(answer.IsSuccessStatusCode, $"preflight answered {(int)answer.StatusCode}");
        Assert.Equal(PlatformFixture.AllowedBrowserOrigin, Assert.Single(answer.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("x-api-key", string.Join(',', answer.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("POST", string.Join(',', answer.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_preflight_from_another_origin_gets_no_permission()
    {
        using var answer = await platform.Http.SendAsync(Preflight("https://elsewhere.example"));

        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"),
            $"another origin was allowed: {string.Join(',', answer.Headers.Select(h => h.Key))}");
    }

    [Fact]
    public async Task A_cross_origin_call_from_the_configured_origin_can_read_the_answer_and_retry_after()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var request = PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key);
        request.Headers.Add("Origin", PlatformFixture.AllowedBrowserOrigin);

        using var answer = await platform.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(PlatformFixture.AllowedBrowserOrigin, Assert.Single(answer.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("Retry-After", string.Join(',', answer.Headers.GetValues("Access-Control-Expose-Headers")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_grpc_web_call_over_http1_reaches_the_face_service()
    {
        var (_, key) = await platform.NewTenantAsync();
        // The REST port speaks HTTP/1.1 only, as a browser without HTTP/2 to the gateway would: grpc-web is the way in.
        using var client = new FacePlatformGrpcClient(new FacePlatformClientOptions
        {
            GrpcAddress = platform.Gateway.HttpAddress,
            ApiKey = key,
            GrpcWeb = true,
        });

        var created = await client.CreateCollectionAsync("grpc-web");
        var photo = await File.ReadAllBytesAsync(Photos.ObamaProbe);
        var analysed = await client.AnalyzeAsync(photo);
        var listed = await client.ListCollectionsAsync();

        Assert.Equal(created.Id, Assert.Single(listed).Id);
        Assert.Single(analysed.Faces);
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/collections");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type");
        return request;
    }
}
