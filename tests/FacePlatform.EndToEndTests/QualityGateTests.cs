using System.Net;
using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// The quality filter of enrolment and search (like Rekognition's QualityFilter): faces below the level are left out,
/// and the answer names each one with its reasons.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class QualityGateTests(PlatformFixture platform)
{
    // A VOC group photo of six people whose faces are 37–53 px wide (dlib's labels): all under the high level's 80 px.
    private static string SmallFaces => Path.Combine(RepositoryPaths.SharedData, "faces", "dlib", "voc_faces", "2008_002079.jpg");

    private HttpClient Http => platform.Http;

    [Fact]
    public async Task Enrolment_refuses_faces_below_the_filter_naming_each_reason()
    {
        var (_, key) = await platform.NewTenantAsync();
        var (collection, subject) = await SubjectAsync(key);

        using var refused = await Http.SendAsync(Send($"/v1/collections/{collection}/subjects/{subject}/faces", key,
            Photos.Form(SmallFaces, "image", ("face", "largest"), ("qualityFilter", "high"))));
        var grpcRefused = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.EnrollFaceAsync(new EnrollFaceRequest
        {
            CollectionId = collection, SubjectId = subject, Image = Image(SmallFaces), Face = "largest", QualityFilter = "HIGH",
        }, PlatformFixture.WithKey(key)).ResponseAsync);
        var good = await PostAsync($"/v1/collections/{collection}/subjects/{subject}/faces", key,
            Photos.Form(Photos.Obama1, "image", ("qualityFilter", "high")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var detail = (await refused.ReadProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains("quality filter", detail, StringComparison.Ordinal);
        Assert.Contains("too_small", detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, grpcRefused.StatusCode);
        Assert.Contains("too_small", grpcRefused.Status.Detail, StringComparison.Ordinal);
        Assert.Single(good.GetProperty("faces").EnumerateArray());
        Assert.Equal(0, good.GetProperty("unindexedFaces").GetArrayLength());
    }

    [Fact]
    public async Task Enrolment_of_the_largest_face_lists_the_others_and_search_lists_the_filtered_faces()
    {
        var (_, key) = await platform.NewTenantAsync();
        var (collection, subject) = await SubjectAsync(key);

        var enrolled = await PostAsync($"/v1/collections/{collection}/subjects/{subject}/faces", key,
            Photos.Form(SmallFaces, "image", ("face", "largest"), ("qualityFilter", "none")));
        var searched = await PostAsync($"/v1/collections/{collection}/search", key, Photos.Form(SmallFaces, "image", ("qualityFilter", "high")));
        var unfiltered = await PostAsync($"/v1/collections/{collection}/search", key, Photos.Form(SmallFaces));

        Assert.Single(enrolled.GetProperty("faces").EnumerateArray());
        var others = enrolled.GetProperty("unindexedFaces").EnumerateArray().ToList();
        Assert.Equal(unfiltered.GetProperty("faces").GetArrayLength() - 1, others.Count);
        foreach (var face in others)
        {
            Assert.True(face.GetProperty("box").GetProperty("width").GetSingle() > 0);
            Assert.Equal(new[] { "not_largest" }, face.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!));
        }

        Assert.Equal(0, searched.GetProperty("faces").GetArrayLength());
        var unsearched = searched.GetProperty("unsearchedFaces").EnumerateArray().ToList();
        Assert.Equal(unfiltered.GetProperty("faces").GetArrayLength(), unsearched.Count);
        Assert.All(unsearched, face => Assert.Contains("too_small", face.GetProperty("reasons").EnumerateArray().Select(r => r.GetString())));
        Assert.Equal(0, unfiltered.GetProperty("unsearchedFaces").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_quality_filter_is_refused_naming_the_levels()
    {
        var (_, key) = await platform.NewTenantAsync();
        var (collection, _) = await SubjectAsync(key);

        using var rest = await Http.SendAsync(Send($"/v1/collections/{collection}/search", key, Photos.Form(Photos.Obama1, "image", ("qualityFilter", "best"))));
        var grpc = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.SearchAsync(
            new SearchRequest { CollectionId = collection, Image = Image(Photos.Obama1), QualityFilter = "strict" }, PlatformFixture.WithKey(key)).ResponseAsync);

        Assert.Equal(HttpStatusCode.BadRequest, rest.StatusCode);
        Assert.Contains("none, auto, low, medium, high", (await rest.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);
    }

    private async Task<(string Collection, string Subject)> SubjectAsync(string key)
    {
        var collection = (await PostJsonAsync("/v1/collections", key, new { name = "quality" })).GetProperty("id").GetString()!;
        var subject = (await PostJsonAsync($"/v1/collections/{collection}/subjects", key, new { externalId = "someone" })).GetProperty("id").GetString()!;
        return (collection, subject);
    }

    private static Image Image(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };

    private Task<JsonElement> PostAsync(string path, string key, HttpContent content) => PlatformFixture.PostAsync(Http, path, key, content);

    private Task<JsonElement> PostJsonAsync(string path, string key, object body) => PlatformFixture.PostJsonAsync(Http, path, key, body);

    private static HttpRequestMessage Send(string path, string key, HttpContent content)
    {
        var request = PlatformFixture.Request(HttpMethod.Post, path, key);
        request.Content = content;
        return request;
    }
}
