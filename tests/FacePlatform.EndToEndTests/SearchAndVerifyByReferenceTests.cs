using System.Net;
using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// Search and verification without a new photo: a vector from an earlier answer (with its model id) or an enrolled
/// face id — tenant-scoped, never across models — and verify answers that name both faces' boxes.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class SearchAndVerifyByReferenceTests(PlatformFixture platform)
{
    private HttpClient Http => platform.Http;

    [Fact]
    public async Task Search_by_an_earlier_embedding_or_an_enrolled_face_finds_the_person()
    {
        var (_, key) = await platform.NewTenantAsync();
        var gallery = await GalleryAsync(key);
        var probe = await EmbeddingOfAsync(key, Photos.ObamaProbe);

        var byVector = await PostJsonAsync($"/v1/collections/{gallery.Collection}/search", key, new { embedding = probe });
        var byFace = await PostJsonAsync($"/v1/collections/{gallery.Collection}/search", key, new { faceId = gallery.KitFace });
        var grpcByVector = await platform.FaceClient.SearchAsync(new SearchRequest { CollectionId = gallery.Collection, Embedding = ToProto(probe) }, PlatformFixture.WithKey(key));
        var grpcByFace = await platform.FaceClient.SearchAsync(new SearchRequest { CollectionId = gallery.Collection, FaceId = gallery.KitFace }, PlatformFixture.WithKey(key));

        var vectorFace = Assert.Single(byVector.GetProperty("faces").EnumerateArray());
        Assert.Equal("obama", vectorFace.GetProperty("matches")[0].GetProperty("externalId").GetString());
        Assert.Equal(JsonValueKind.Null, vectorFace.GetProperty("box").ValueKind);
        var faceMatch = Assert.Single(byFace.GetProperty("faces").EnumerateArray()).GetProperty("matches")[0];
        Assert.Equal("kit", faceMatch.GetProperty("externalId").GetString());
        Assert.Equal(gallery.KitFace, faceMatch.GetProperty("faceId").GetString());
        Assert.InRange(faceMatch.GetProperty("similarity").GetSingle(), 0.99f, 1.01f);
        Assert.Equal("obama", Assert.Single(grpcByVector.Faces).Matches[0].ExternalId);
        Assert.Equal("kit", Assert.Single(grpcByFace.Faces).Matches[0].ExternalId);
    }

    [Fact]
    public async Task A_vector_of_another_model_is_refused_and_another_tenants_face_is_not_found()
    {
        var (_, key) = await platform.NewTenantAsync();
        var (_, otherKey) = await platform.NewTenantAsync();
        var gallery = await GalleryAsync(key);
        var theirs = await CreateCollectionAsync(otherKey, "theirs");
        var probe = await EmbeddingOfAsync(key, Photos.ObamaProbe);
        var foreign = probe with { Model = "mobileface" };

        using var mismatch = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/collections/{gallery.Collection}/search", key, new { embedding = foreign }));
        var grpcMismatch = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.SearchAsync(
            new SearchRequest { CollectionId = gallery.Collection, Embedding = ToProto(foreign) }, PlatformFixture.WithKey(key)).ResponseAsync);
        using var verifyMismatch = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/verify", key,
            new { embedding1 = foreign, faceId2 = gallery.KitFace, collection = gallery.Collection }));
        using var stolen = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/collections/{theirs}/search", otherKey, new { faceId = gallery.KitFace }));
        var grpcStolen = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.SearchAsync(
            new SearchRequest { CollectionId = theirs, FaceId = gallery.KitFace }, PlatformFixture.WithKey(otherKey)).ResponseAsync);
        using var verifyStolen = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/verify", otherKey,
            new { embedding1 = probe, faceId2 = gallery.KitFace, collection = theirs }));

        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Contains("mobileface", (await mismatch.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, grpcMismatch.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, verifyMismatch.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, stolen.StatusCode);
        await stolen.ReadProblemAsync();
        Assert.Equal(StatusCode.NotFound, grpcStolen.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, verifyStolen.StatusCode);
    }

    [Fact]
    public async Task Verify_takes_photos_vectors_or_enrolled_faces_and_answers_with_the_boxes()
    {
        var (_, key) = await platform.NewTenantAsync();
        var gallery = await GalleryAsync(key);
        var probe = await EmbeddingOfAsync(key, Photos.ObamaProbe);
        var photos = new MultipartFormDataContent();
        Photos.AddFile(photos, Photos.Obama1, "image1");
        Photos.AddFile(photos, Photos.TwoPeople, "image2");
        var photoAndFace = Photos.Form(Photos.ObamaProbe, "image1", ("faceId2", gallery.ObamaFace), ("collection", gallery.Collection));

        var twoPhotos = await PostAsync("/v1/verify", key, photos);
        var samePerson = await PostAsync("/v1/verify", key, photoAndFace);
        var vectorAndPhoto = await PostJsonAsync("/v1/verify", key, new { embedding1 = probe, image2 = Convert.ToBase64String(File.ReadAllBytes(Photos.Kit1)) });
        var grpc = await platform.FaceClient.VerifyAsync(new VerifyRequest
        {
            Embedding1 = ToProto(probe), FaceId2 = gallery.ObamaFace, CollectionId = gallery.Collection,
        }, PlatformFixture.WithKey(key));

        Assert.True(twoPhotos.GetProperty("box1").GetProperty("width").GetSingle() > 10);
        // The larger face of two_people.jpg is compared, and its box says which.
        Assert.True(twoPhotos.GetProperty("box2").GetProperty("width").GetSingle() > 10);
        Assert.True(samePerson.GetProperty("match").GetBoolean(), $"similarity {samePerson.GetProperty("similarity")}");
        Assert.True(samePerson.GetProperty("box1").GetProperty("width").GetSingle() > 10);
        Assert.Equal(JsonValueKind.Null, samePerson.GetProperty("box2").ValueKind);
        Assert.False(vectorAndPhoto.GetProperty("match").GetBoolean(), $"similarity {vectorAndPhoto.GetProperty("similarity")}");
        Assert.Equal(JsonValueKind.Null, vectorAndPhoto.GetProperty("box1").ValueKind);
        Assert.True(vectorAndPhoto.GetProperty("box2").GetProperty("width").GetSingle() > 10);
        Assert.Equal(probe.Model, vectorAndPhoto.GetProperty("modelId").GetString());
        Assert.True(grpc.Match, $"similarity {grpc.Similarity}");
        Assert.Null(grpc.Box1);
    }

    private sealed record Probe(string Model, float[] Vector);

    private sealed record Gallery(string Collection, string ObamaFace, string KitFace);

    private static Contracts.V1.Embedding ToProto(Probe vector)
    {
        var embedding = new Contracts.V1.Embedding { ModelId = vector.Model };
        embedding.Values.AddRange(vector.Vector);
        return embedding;
    }

    /// <summary>A collection with obama (obama.jpg) and kit (john1.jpeg) enrolled.</summary>
    private async Task<Gallery> GalleryAsync(string key)
    {
        var collection = await CreateCollectionAsync(key, "by-reference");
        var faces = new List<string>();
        foreach (var (name, photo) in new[] { ("obama", Photos.Obama1), ("kit", Photos.Kit1) })
        {
            var subject = (await PostJsonAsync($"/v1/collections/{collection}/subjects", key, new { externalId = name })).GetProperty("id").GetString();
            var enrolled = await PostAsync($"/v1/collections/{collection}/subjects/{subject}/faces", key, Photos.Form(photo));
            faces.Add(enrolled.GetProperty("faces")[0].GetProperty("id").GetString()!);
        }

        return new Gallery(collection, faces[0], faces[1]);
    }

    private async Task<Probe> EmbeddingOfAsync(string key, string photo)
    {
        var analysed = await PostAsync("/v1/analyze?include=embeddings&attributes=none", key, Photos.Form(photo));
        var embedding = Assert.Single(analysed.GetProperty("faces").EnumerateArray()).GetProperty("embedding");
        return new Probe(embedding.GetProperty("model").GetString()!, [.. embedding.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle())]);
    }

    private async Task<string> CreateCollectionAsync(string key, string name) =>
        (await PostJsonAsync("/v1/collections", key, new { name })).GetProperty("id").GetString()!;

    private Task<JsonElement> PostAsync(string path, string key, HttpContent content) => PlatformFixture.PostAsync(Http, path, key, content);

    private Task<JsonElement> PostJsonAsync(string path, string key, object body) => PlatformFixture.PostJsonAsync(Http, path, key, body);
}
