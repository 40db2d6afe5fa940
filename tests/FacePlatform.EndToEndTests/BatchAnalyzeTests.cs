using System.Net;
using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>Several photos in one call: each photo's answer or its own error, and a bounded count.</summary>
[Collection(PlatformCollection.Name)]
public sealed class BatchAnalyzeTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_batch_answers_each_photo_or_its_own_error_in_order()
    {
        var (_, key) = await platform.NewTenantAsync();
        var form = new MultipartFormDataContent();
        Photos.AddFile(form, Photos.Obama1, "photo");
        Photos.AddFile(form, Photos.TwoPeople, "photo");
        Photos.AddFile(form, Photos.Corrupted, "photo");
        form.Add(new StringContent("age"), "attributes");

        var request = PlatformFixture.Request(HttpMethod.Post, "/v1/analyze/batch", key);
        request.Content = form;
        using var answer = await platform.Http.SendAsync(request);
        var body = await answer.Content.ReadAsStringAsync();
        var grpc = await platform.FaceClient.BatchAnalyzeAsync(new BatchAnalyzeRequest
        {
            Requests = { new AnalyzeRequest { Image = Image(Photos.Kit1) }, new AnalyzeRequest { Image = Image(Photos.Truncated) } },
        }, PlatformFixture.WithKey(key));

        Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
        var batch = JsonDocument.Parse(body).RootElement;
        Assert.Equal(2, batch.GetProperty("succeeded").GetInt32());
        Assert.Equal(1, batch.GetProperty("failed").GetInt32());
        var items = batch.GetProperty("items");
        Assert.Equal("obama.jpg", items[0].GetProperty("fileName").GetString());
        var obama = Assert.Single(items[0].GetProperty("result").GetProperty("faces").EnumerateArray());
        Assert.InRange(obama.GetProperty("age").GetSingle(), 20, 80);
        Assert.Equal(JsonValueKind.Null, obama.GetProperty("emotion").ValueKind);
        Assert.Equal(2, items[1].GetProperty("result").GetProperty("faces").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, items[2].GetProperty("result").ValueKind);
        Assert.InRange(items[2].GetProperty("error").GetProperty("status").GetInt32(), 400, 499);
        Assert.False(string.IsNullOrWhiteSpace(items[2].GetProperty("error").GetProperty("detail").GetString()));
        Assert.Equal(2, grpc.Results.Count);
        Assert.Single(grpc.Results[0].Response.Faces);
        Assert.Equal((int)StatusCode.InvalidArgument, grpc.Results[1].Error.Code);
    }

    [Fact]
    public async Task A_batch_over_the_limit_or_empty_is_400()
    {
        var (_, key) = await platform.NewTenantAsync();
        var form = new MultipartFormDataContent();
        for (var i = 0; i < 17; i++)
        {
            Photos.AddFile(form, Photos.Empty, $"photo{i}");
        }

        var request = PlatformFixture.Request(HttpMethod.Post, "/v1/analyze/batch", key);
        request.Content = form;
        using var tooMany = await platform.Http.SendAsync(request);
        var empty = await Assert.ThrowsAsync<RpcException>(() =>
            platform.FaceClient.BatchAnalyzeAsync(new BatchAnalyzeRequest(), PlatformFixture.WithKey(key)).ResponseAsync);

        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("1–16", (await tooMany.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
    }

    [Fact]
    public async Task A_batch_enrolment_enrols_each_photo_or_names_its_own_error_an_over_size_one_413()
    {
        var (_, key) = await platform.NewTenantAsync();
        var collection = (await platform.FaceClient.CreateCollectionAsync(new CreateCollectionRequest { Name = "batch-enrol" }, PlatformFixture.WithKey(key))).Collection;
        var form = new MultipartFormDataContent();
        Photos.AddFile(form, Photos.Obama1, "obama");
        Photos.AddFile(form, Photos.Corrupted, "corrupted");
        // One byte over the 20-MB photo limit: refused by its size before it is read or takes the in-flight budget.
        form.Add(new ByteArrayContent(new byte[(20 * 1024 * 1024) + 1]), "oversize", "oversize.jpg");

        var request = PlatformFixture.Request(HttpMethod.Post, $"/v1/collections/{collection.Id}/subjects:batchEnroll", key);
        request.Content = form;
        using var answer = await platform.Http.SendAsync(request);
        var body = await answer.Content.ReadAsStringAsync();

        Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
        var batch = JsonDocument.Parse(body).RootElement;
        Assert.Equal(1, batch.GetProperty("enrolled").GetInt32());
        Assert.Equal(2, batch.GetProperty("failed").GetInt32());
        var items = batch.GetProperty("items");
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("error").ValueKind);
        Assert.InRange(items[1].GetProperty("error").GetProperty("status").GetInt32(), 400, 499);
        Assert.Equal(413, items[2].GetProperty("error").GetProperty("status").GetInt32());
        Assert.Contains("oversize.jpg", items[2].GetProperty("error").GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static Image Image(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };
}
