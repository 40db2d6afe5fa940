using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// What the gateway promises on every endpoint: another tenant's ids are not found, a key over its rate gets 429 with
/// Retry-After, and analyse keeps answering (with a warning) when the optional attributes service is down.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class GatewayGuaranteeTests(PlatformFixture platform)
{
    private HttpClient Http => platform.Http;

    [Fact]
    public async Task Every_endpoint_answers_404_for_another_tenants_collection_subject_or_face()
    {
        var (_, owner) = await platform.NewTenantAsync();
        var (_, stranger) = await platform.NewTenantAsync();
        var collection = await JsonAsync(HttpMethod.Post, "/v1/collections", owner, JsonContent.Create(new { name = "owned" }));
        var c = collection.GetProperty("id").GetString();
        var subject = await JsonAsync(HttpMethod.Post, $"/v1/collections/{c}/subjects", owner, JsonContent.Create(new { externalId = "obama" }));
        var s = subject.GetProperty("id").GetString();
        var enrolled = await JsonAsync(HttpMethod.Post, $"/v1/collections/{c}/subjects/{s}/faces", owner, Photos.Form(Photos.Obama1));
        var f = enrolled.GetProperty("faces")[0].GetProperty("id").GetString();

        var attempts = new (HttpMethod Method, string Path, Func<HttpContent?> Body)[]
        {
            (HttpMethod.Get, $"/v1/collections/{c}", () => null),
            (HttpMethod.Delete, $"/v1/collections/{c}", () => null),
            (HttpMethod.Get, $"/v1/collections/{c}/subjects", () => null),
            (HttpMethod.Post, $"/v1/collections/{c}/subjects", () => JsonContent.Create(new { externalId = "intruder" })),
            (HttpMethod.Get, $"/v1/collections/{c}/subjects/{s}", () => null),
            (HttpMethod.Patch, $"/v1/collections/{c}/subjects/{s}", () => JsonContent.Create(new { displayName = "x" })),
            (HttpMethod.Delete, $"/v1/collections/{c}/subjects/{s}", () => null),
            (HttpMethod.Get, $"/v1/collections/{c}/subjects/{s}/faces", () => null),
            (HttpMethod.Post, $"/v1/collections/{c}/subjects/{s}/faces", () => Photos.Form(Photos.Kit1)),
            (HttpMethod.Delete, $"/v1/collections/{c}/faces/{f}", () => null),
            (HttpMethod.Post, $"/v1/collections/{c}/search", () => Photos.Form(Photos.ObamaProbe)),
            (HttpMethod.Post, "/v1/analyze", () => Photos.Form(Photos.ObamaProbe, "image", ("collection", c!))),
            (HttpMethod.Post, "/v1/verify", () => Verify(c!, s!)),
        };
        foreach (var (method, path, body) in attempts)
        {
            using var request = PlatformFixture.Request(method, path, stranger);
            request.Content = body();
            using var answer = await Http.SendAsync(request);
            Assert.True(answer.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            await answer.ReadProblemAsync();
        }

        var stillThere = await JsonAsync(HttpMethod.Get, $"/v1/collections/{c}/subjects/{s}", owner, null);
        Assert.Equal(1, stillThere.GetProperty("faceCount").GetInt64());
        var found = await JsonAsync(HttpMethod.Post, $"/v1/collections/{c}/search", owner, Photos.Form(Photos.ObamaProbe));
        Assert.Equal("obama", found.GetProperty("faces")[0].GetProperty("matches")[0].GetProperty("externalId").GetString());
    }

    [Fact]
    public async Task A_key_over_its_rate_gets_429_with_retry_after_and_other_keys_are_not_affected()
    {
        var (tenant, key) = await platform.NewTenantAsync();
        var other = await platform.NewKeyAsync(tenant, "read");

        var answers = await Task.WhenAll(Enumerable.Range(0, 120).Select(async _ =>
        {
            using var answer = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", key));
            return (answer.StatusCode, RetryAfter: answer.Headers.RetryAfter?.Delta,
                Problem: answer.StatusCode == HttpStatusCode.TooManyRequests ? await answer.Content.ReadAsStringAsync() : null);
        }));
        using var unaffected = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Get, "/v1/collections", other));

        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, a => Assert.True(a.RetryAfter >= TimeSpan.FromSeconds(1)));
        Assert.Contains("rate limit", limited[0].Problem, StringComparison.Ordinal);
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);
    }

    [Fact]
    public async Task With_attributes_down_analyse_answers_with_a_warning_and_without_emotion()
    {
        var (_, key) = await platform.NewTenantAsync();
        await platform.Attributes.StopAsync();
        try
        {
            var answer = await JsonAsync(HttpMethod.Post, "/v1/analyze", key, Photos.Form(Photos.Kit1));

            var face = Assert.Single(answer.GetProperty("faces").EnumerateArray());
            Assert.Contains("attributes unavailable", Assert.Single(answer.GetProperty("warnings").EnumerateArray()).GetString(), StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Null, face.GetProperty("emotion").ValueKind);
            // Age and gender still come from the recogniser's own pass (FaceRes is multi-task).
            Assert.Equal("male", face.GetProperty("gender").GetProperty("label").GetString());
        }
        finally
        {
            platform.Attributes.Start();
            await platform.Attributes.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
        }

        // The gateway's channel reconnects by itself, after its connection backoff (grpc-dotnet: up to seconds once a
        // service has been away): the answers must become whole again within a bounded time, without a restart.
        var recovered = await JsonAsync(HttpMethod.Post, "/v1/analyze", key, Photos.Form(Photos.Kit2));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (recovered.GetProperty("warnings").GetArrayLength() > 0 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(500);
            recovered = await JsonAsync(HttpMethod.Post, "/v1/analyze", key, Photos.Form(Photos.Kit2));
        }

        Assert.Empty(recovered.GetProperty("warnings").EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, recovered.GetProperty("faces")[0].GetProperty("emotion").ValueKind);
    }

    private static MultipartFormDataContent Verify(string collection, string subject) =>
        Photos.Form(Photos.ObamaProbe, "image1", ("collection", collection), ("subjectId", subject));

    private async Task<JsonElement> JsonAsync(HttpMethod method, string path, string key, HttpContent? body)
    {
        using var request = PlatformFixture.Request(method, path, key);
        request.Content = body;
        using var answer = await Http.SendAsync(request);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"{method} {path}: {(int)answer.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
