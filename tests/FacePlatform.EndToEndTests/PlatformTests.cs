using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FacePlatform.EndToEndTests;

/// <summary>What operators and API users see of the running platform: docs, probes, metrics, durability.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PlatformTests(PlatformFixture platform)
{
    [Fact]
    public async Task The_openapi_document_describes_the_collection_api_and_the_key_header()
    {
        var document = await platform.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        using var docs = await platform.Http.GetAsync(new Uri("/docs", UriKind.Relative));

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/collections", out var collections));
        Assert.True(collections.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/v1/collections/{collectionId}", out _));
        var analyze = paths.GetProperty("/v1/analyze").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.Equal("binary", analyze.GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties")
            .GetProperty("image").GetProperty("format").GetString());
        Assert.True(analyze.TryGetProperty("application/json", out _));
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_service_answers_its_probes_and_exports_prometheus_metrics()
    {
        using var http = new HttpClient();
        foreach (var service in platform.Services)
        {
            using var alive = await http.GetAsync(new Uri(service.HttpAddress, "/healthz"));
            using var ready = await http.GetAsync(new Uri(service.HttpAddress, "/readyz"));
            var metrics = await http.GetStringAsync(new Uri(service.HttpAddress, "/metrics"));

            Assert.True(alive.StatusCode == HttpStatusCode.OK, $"{service.Name} /healthz: {alive.StatusCode}");
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{service.Name} /readyz: {ready.StatusCode}");
            Assert.Contains("# TYPE http_server_request_duration_seconds histogram", metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_collection_survives_a_restart_of_identity()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var created = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key, new { name = "durable" }));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        await platform.RestartIdentityAsync();

        using var got = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, $"/v1/collections/{id}", key));
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("durable", (await got.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task With_identity_down_the_gateway_answers_503_problem_details_quickly()
    {
        var (_, key) = await platform.NewTenantAsync();
        await platform.Identity.StopAsync();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var answer = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));
            clock.Stop();

            // The key check itself needs identity: the gateway cannot tell who calls, so it is unavailable, not 401.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            await answer.ReadProblemAsync();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        }
        finally
        {
            await platform.RestartIdentityAsync();
        }
    }
}
