using System.Net;
using System.Text.Json;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Vision.Recognition;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.ML.OnnxRuntime;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// A projection head made by <c>facectl train</c> served by the embedding service as a recogniser of its own
/// (<see cref="TrainedModelPlatform.ProjectionId"/>): a collection created with it enrols and searches with the
/// projected vectors, and refuses the vectors of any other recogniser — as every collection does.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class ProjectionRecogniserTests(TrainedModelPlatform platform)
{
    /// <summary>Four of the face-api.js people; photos 4 and 5 of each were in the projection's validation split, not trained on.</summary>
    private static readonly string[] People = ["amy", "howard", "penny", "sheldon"];

    private HttpClient Http => platform.Http;

    private static string Photo(string person, int number) =>
        Path.Combine(RepositoryPaths.SharedData, "faces", "face-api-js", "identity", person, $"{person}{number}.png");

    [Fact]
    public async Task A_collection_of_the_projection_recogniser_finds_each_enrolled_person_by_a_photo_it_was_not_trained_on()
    {
        var (_, key) = await platform.NewTenantAsync();
        var collection = await PostJsonAsync("/v1/collections", key,
            new { name = "projected", modelId = TrainedModelPlatform.ProjectionId, dimension = TrainedModelPlatform.ProjectionWidth });
        Assert.Equal(TrainedModelPlatform.ProjectionId, collection.GetProperty("modelId").GetString());
        var collectionId = collection.GetProperty("id").GetString()!;
        foreach (var person in People)
        {
            var subject = (await PostJsonAsync($"/v1/collections/{collectionId}/subjects", key, new { externalId = person })).GetProperty("id").GetString();
            await PostAsync($"/v1/collections/{collectionId}/subjects/{subject}/faces", key, Photos.Form(Photo(person, 4)));
        }

        foreach (var person in People)
        {
            var found = await PostAsync($"/v1/collections/{collectionId}/search", key, Photos.Form(Photo(person, 5)));
            var matches = Assert.Single(found.GetProperty("faces").EnumerateArray()).GetProperty("matches");
            Assert.True(matches.GetArrayLength() > 0, $"{person}5.png matched no one at the default threshold: {found}");
            Assert.Equal(person, matches[0].GetProperty("externalId").GetString());
        }
    }

    [Fact]
    public async Task The_embedding_service_serves_only_the_trained_models_it_is_configured_to_serve_as_recognisers()
    {
        using var channel = PlatformFixture.InternalChannel(platform.Embedding);
        var client = new EmbeddingService.EmbeddingServiceClient(channel);
        var photo = ByteString.CopyFrom(await File.ReadAllBytesAsync(Photo("amy", 4)));

        var served = await client.DetectAndEmbedAsync(
            new DetectRequest { Image = new Image { Content = photo }, ModelId = TrainedModelPlatform.ProjectionId }, deadline: DateTime.UtcNow.AddSeconds(30));
        // The gender/age heads are trained but not listed in Recognition:ProjectionModels (and have no projection).
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.DetectAndEmbedAsync(
            new DetectRequest { Image = new Image { Content = photo }, ModelId = TrainedModelPlatform.ModelId }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        Assert.Equal(TrainedModelPlatform.ProjectionId, Assert.Single(served.Faces).Embedding.ModelId);
        Assert.Contains("faceres", served.ModelIds);
        Assert.Contains(TrainedModelPlatform.ProjectionId, served.ModelIds);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains(TrainedModelPlatform.ModelId, refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_projected_embedding_is_the_normalised_projection_of_the_backbones_and_the_collection_refuses_other_vectors()
    {
        var (_, key) = await platform.NewTenantAsync();
        var projected = (await PostJsonAsync("/v1/collections", key,
            new { name = "projected", modelId = TrainedModelPlatform.ProjectionId, dimension = TrainedModelPlatform.ProjectionWidth })).GetProperty("id").GetString()!;
        var pretrained = (await PostJsonAsync("/v1/collections", key, new { name = "pretrained" })).GetProperty("id").GetString()!;
        var photo = Photo("penny", 5);

        var backbone = await EmbeddingAsync(key, photo, collection: null);
        var projection = await EmbeddingAsync(key, photo, projected);
        Assert.Equal("faceres", backbone.Model);
        Assert.Equal(TrainedModelPlatform.ProjectionId, projection.Model);
        Assert.Equal(TrainedModelPlatform.ProjectionWidth, projection.Vector.Length);
        // The trained model itself, run here in ONNX Runtime on the backbone's embedding, then normalised.
        var expected = FaceEmbedding.Normalise(RunProjection(backbone.Vector));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - projection.Vector[i]) < 1e-4f, $"value {i}: served {projection.Vector[i]}, ONNX {expected[i]}");
        }

        using var backboneInProjected = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/collections/{projected}/search", key,
            new { embedding = new { model = backbone.Model, vector = backbone.Vector } }));
        using var projectionInPretrained = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/collections/{pretrained}/search", key,
            new { embedding = new { model = projection.Model, vector = projection.Vector } }));
        using var mislabelled = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, $"/v1/collections/{projected}/search", key,
            new { embedding = new { model = TrainedModelPlatform.ProjectionId, vector = backbone.Vector } }));

        Assert.Equal(HttpStatusCode.BadRequest, backboneInProjected.StatusCode);
        Assert.Contains("'faceres' vector", (await backboneInProjected.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, projectionInPretrained.StatusCode);
        Assert.Contains($"'{TrainedModelPlatform.ProjectionId}' vector", (await projectionInPretrained.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, mislabelled.StatusCode);
        Assert.Contains($"{TrainedModelPlatform.ProjectionWidth}-d", (await mislabelled.ReadProblemAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private sealed record ServedEmbedding(string Model, float[] Vector);

    private float[] RunProjection(float[] features)
    {
        using var session = new InferenceSession(platform.ProjectionTraining.ModelPath);
        using var input = OrtValue.CreateTensorValueFromMemory(features, [1, features.Length]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["features"], [input], ["projection"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The embedding of the photo's one face: the collection's recogniser's, or the default's without one.</summary>
    private async Task<ServedEmbedding> EmbeddingAsync(string key, string photo, string? collection)
    {
        var form = collection is null
            ? Photos.Form(photo, "image", ("include", "embeddings"), ("attributes", "none"))
            : Photos.Form(photo, "image", ("include", "embeddings"), ("attributes", "none"), ("collection", collection));
        var analysed = await PostAsync("/v1/analyze", key, form);
        var embedding = Assert.Single(analysed.GetProperty("faces").EnumerateArray()).GetProperty("embedding");
        return new ServedEmbedding(embedding.GetProperty("model").GetString()!, [.. embedding.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle())]);
    }

    private Task<JsonElement> PostAsync(string path, string key, HttpContent content) => PlatformFixture.PostAsync(Http, path, key, content);

    private Task<JsonElement> PostJsonAsync(string path, string key, object body) => PlatformFixture.PostJsonAsync(Http, path, key, body);
}
