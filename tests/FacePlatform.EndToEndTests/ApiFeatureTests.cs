using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// What callers reach for beyond analyse (issue 20): detect-only and a chosen set of attributes (only the models asked
/// for run, counted on the gateway's client metrics), head pose and age ranges, REST and gRPC alike.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ApiFeatureTests(PlatformFixture platform)
{
    private const string ClientCalls = "rpc_client_duration_seconds_count";

    private static readonly Dictionary<string, string> Predict = new()
    {
        ["rpc_service"] = "faceplatform.internal.v1.AttributesService", ["rpc_method"] = "Predict",
    };

    private static readonly Dictionary<string, string> DetectAndEmbed = new()
    {
        ["rpc_service"] = "faceplatform.internal.v1.EmbeddingService", ["rpc_method"] = "DetectAndEmbed",
    };

    private static readonly Dictionary<string, string> DetectOnly = new()
    {
        ["rpc_service"] = "faceplatform.internal.v1.EmbeddingService", ["rpc_method"] = "Detect",
    };

    private HttpClient Http => platform.Http;

    [Fact]
    public async Task Detect_only_gives_boxes_landmarks_quality_and_pose_without_the_recogniser_or_attribute_models()
    {
        var (_, key) = await platform.NewTenantAsync();
        var before = await CountsAsync();

        var detected = await PostAsync("/v1/detect", key, Photos.Form(Photos.TwoPeople));
        var grpc = await platform.FaceClient.DetectFacesAsync(new DetectFacesRequest { Image = Image(Photos.Obama1) }, PlatformFixture.WithKey(key));

        Assert.Equal(2, detected.GetProperty("faces").GetArrayLength());
        foreach (var face in detected.GetProperty("faces").EnumerateArray())
        {
            Assert.True(face.GetProperty("box").GetProperty("width").GetSingle() > 10);
            Assert.Equal(5, face.GetProperty("landmarks").GetArrayLength());
            Assert.InRange(face.GetProperty("quality").GetProperty("score").GetSingle(), 0, 1);
            Assert.InRange(face.GetProperty("pose").GetProperty("yaw").GetSingle(), -90, 90);
            Assert.Equal(JsonValueKind.Null, face.GetProperty("age").ValueKind);
            Assert.Equal(JsonValueKind.Null, face.GetProperty("gender").ValueKind);
            Assert.Equal(JsonValueKind.Null, face.GetProperty("emotion").ValueKind);
            Assert.Equal(JsonValueKind.Null, face.GetProperty("embedding").ValueKind);
        }

        var grpcFace = Assert.Single(grpc.Faces);
        Assert.NotNull(grpcFace.Pose);
        Assert.Null(grpcFace.Attributes);
        Assert.Null(grpcFace.Embedding);
        await ExpectCallsAsync(before, predict: 0, detectAndEmbed: 0, detect: 2);
    }

    [Fact]
    public async Task Analyse_computes_only_the_attributes_asked_for()
    {
        var (_, key) = await platform.NewTenantAsync();
        var before = await CountsAsync();

        // Emotion alone: no embedding (Detect, with crops), one call to the attributes service.
        var emotion = Single(await PostAsync("/v1/analyze?attributes=emotion", key, Photos.Form(Photos.Obama1)));
        // Age and gender alone: the multi-task recogniser gives both with the embedding; the attributes service is idle.
        var ageGender = Single(await PostAsync("/v1/analyze", key, Photos.Form(Photos.Obama2, "image", ("attributes", "age,gender"))));
        // None: neither model runs.
        var none = Assert.Single((await platform.FaceClient.AnalyzeAsync(
            new AnalyzeRequest { Image = Image(Photos.Kit1), Attributes = { "none" } }, PlatformFixture.WithKey(key))).Faces);

        Assert.False(string.IsNullOrEmpty(emotion.GetProperty("emotion").GetProperty("label").GetString()));
        Assert.Equal(JsonValueKind.Null, emotion.GetProperty("age").ValueKind);
        Assert.Equal(JsonValueKind.Null, emotion.GetProperty("liveness").ValueKind);
        Assert.InRange(ageGender.GetProperty("age").GetSingle(), 20, 80);
        Assert.Contains(ageGender.GetProperty("gender").GetProperty("label").GetString(), new[] { "female", "male" });
        Assert.Equal(JsonValueKind.Null, ageGender.GetProperty("emotion").ValueKind);
        Assert.Equal(JsonValueKind.Null, ageGender.GetProperty("liveness").ValueKind);
        Assert.Null(none.Attributes);
        Assert.NotNull(none.Box);
        await ExpectCallsAsync(before, predict: 1, detectAndEmbed: 1, detect: 2);
    }

    [Fact]
    public async Task An_unknown_attribute_is_refused_naming_the_allowed_ones()
    {
        var (_, key) = await platform.NewTenantAsync();

        using var rest = await Http.SendAsync(Send("/v1/analyze?attributes=age,beauty", key, Photos.Form(Photos.Obama1)));
        var grpc = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.AnalyzeAsync(
            new AnalyzeRequest { Image = Image(Photos.Obama1), Attributes = { "mood" } }, PlatformFixture.WithKey(key)).ResponseAsync);

        await AssertRefusedNamingAsync(rest, grpc, "beauty", "age, gender, emotion, liveness");
    }

    [Fact]
    public async Task A_profile_is_chosen_per_request_and_an_unknown_one_is_refused_naming_the_known_ones()
    {
        var (_, key) = await platform.NewTenantAsync();

        var fast = await PostAsync("/v1/analyze?profile=fast&include=embeddings", key, Photos.Form(Photos.Obama1));
        var accurate = await platform.FaceClient.AnalyzeAsync(
            new AnalyzeRequest { Image = Image(Photos.Obama1), Include = { "embeddings" }, Profile = "accurate" }, PlatformFixture.WithKey(key));
        using var rest = await Http.SendAsync(Send("/v1/analyze?profile=turbo", key, Photos.Form(Photos.Obama1)));
        var grpc = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.DetectFacesAsync(
            new DetectFacesRequest { Image = Image(Photos.Obama1), Profile = "turbo" }, PlatformFixture.WithKey(key)).ResponseAsync);

        // fast: the int8 recogniser; accurate: the float one. Both find the same face.
        var fastModels = fast.GetProperty("modelIds").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Contains("faceres-int8", fastModels);
        Assert.DoesNotContain("faceres", fastModels);
        Assert.Contains("faceres", accurate.ModelIds);
        Assert.Equal(1, fast.GetProperty("faces").GetArrayLength());
        Assert.Single(accurate.Faces);
        await AssertRefusedNamingAsync(rest, grpc, "turbo", "accurate, fast");
    }

    [Fact]
    public async Task A_collection_created_with_a_profile_keeps_it_and_its_recogniser_and_a_request_s_own_profile_wins()
    {
        var (_, key) = await platform.NewTenantAsync();
        var grpcKey = PlatformFixture.WithKey(key);

        // REST: fast without a model id makes the int8 recogniser the collection's; read back as created.
        var created = await SendJsonAsync(HttpMethod.Post, "/v1/collections", key, new { name = "quick", profile = "fast" });
        var read = await SendJsonAsync(HttpMethod.Get, $"/v1/collections/{created.GetProperty("id").GetString()}", key);
        // gRPC: the same; with a model id named, the profile is kept and the model too.
        var quick = (await platform.FaceClient.CreateCollectionAsync(new CreateCollectionRequest { Name = "quick-grpc", Profile = "fast" }, grpcKey)).Collection;
        var pinned = (await platform.FaceClient.CreateCollectionAsync(
            new CreateCollectionRequest { Name = "pinned", Profile = "fast", ModelId = "faceres" }, grpcKey)).Collection;
        var got = (await platform.FaceClient.GetCollectionAsync(new GetCollectionRequest { CollectionId = quick.Id }, grpcKey)).Collection;

        foreach (var view in new[] { created, read })
        {
            Assert.Equal("fast", view.GetProperty("profile").GetString());
            Assert.Equal("faceres-int8", view.GetProperty("modelId").GetString());
            Assert.Equal(1024, view.GetProperty("dimension").GetInt32());
        }

        Assert.Equal(("fast", "faceres-int8", 1024), (got.Profile, got.ModelId, got.Dimension));
        Assert.Equal(("fast", "faceres"), (pinned.Profile, pinned.ModelId));

        // Enrolment and search in the fast collection: int8 vectors, and Obama's other photo finds him.
        var subject = (await platform.FaceClient.CreateSubjectAsync(new CreateSubjectRequest { CollectionId = quick.Id, ExternalId = "obama" }, grpcKey)).Subject;
        var enrolled = await platform.FaceClient.EnrollFaceAsync(
            new EnrollFaceRequest { CollectionId = quick.Id, SubjectId = subject.Id, Image = Image(Photos.Obama1) }, grpcKey);
        var found = await platform.FaceClient.SearchAsync(new SearchRequest { CollectionId = quick.Id, Image = Image(Photos.Obama2), Threshold = 0.3f }, grpcKey);
        Assert.Equal("faceres-int8", Assert.Single(enrolled.Faces).ModelId);
        Assert.Equal(subject.Id, Assert.Single(Assert.Single(found.Faces).Matches).SubjectId);

        // A request's own profile is the one used (an unknown one is refused although the collection's is known); the
        // collection's recogniser stays whatever the request's profile is.
        var ownUnknown = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.SearchAsync(
            new SearchRequest { CollectionId = quick.Id, Image = Image(Photos.Obama2), Profile = "turbo" }, grpcKey).ResponseAsync);
        var accurate = await PostAsync($"/v1/analyze?collection={quick.Id}&profile=accurate", key, Photos.Form(Photos.Obama2));
        Assert.Equal(StatusCode.InvalidArgument, ownUnknown.StatusCode);
        var models = accurate.GetProperty("modelIds").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Contains("faceres-int8", models);
        Assert.DoesNotContain("faceres", models);
    }

    [Fact]
    public async Task A_collection_with_an_unknown_profile_is_refused_naming_the_known_ones()
    {
        var (_, key) = await platform.NewTenantAsync();

        using var rest = await Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key, new { name = "odd", profile = "turbo" }));
        var grpc = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.CreateCollectionAsync(
            new CreateCollectionRequest { Name = "odd", Profile = "turbo" }, PlatformFixture.WithKey(key)).ResponseAsync);

        await AssertRefusedNamingAsync(rest, grpc, "turbo", "accurate, fast");
        var listed = await platform.FaceClient.ListCollectionsAsync(new ListCollectionsRequest(), PlatformFixture.WithKey(key));
        Assert.Empty(listed.Collections);
    }

    /// <summary>
    /// REST answered 400 naming <paramref name="refused"/> and the <paramref name="known"/> values; gRPC answered
    /// INVALID_ARGUMENT naming the known values too.
    /// </summary>
    private static async Task AssertRefusedNamingAsync(HttpResponseMessage rest, RpcException grpc, string refused, string known)
    {
        Assert.Equal(HttpStatusCode.BadRequest, rest.StatusCode);
        var detail = (await rest.ReadProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains(refused, detail, StringComparison.Ordinal);
        Assert.Contains(known, detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);
        Assert.Contains(known, grpc.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_face_has_a_head_pose_and_an_age_range_around_its_age()
    {
        var (_, key) = await platform.NewTenantAsync();

        var rest = await PostAsync("/v1/analyze", key, Photos.Form(Photos.TwoPeople));
        var grpc = Assert.Single((await platform.FaceClient.AnalyzeAsync(
            new AnalyzeRequest { Image = Image(Photos.Obama1) }, PlatformFixture.WithKey(key))).Faces);

        Assert.Equal(2, rest.GetProperty("faces").GetArrayLength());
        foreach (var face in rest.GetProperty("faces").EnumerateArray())
        {
            var pose = face.GetProperty("pose");
            // Both people of two_people.jpg face the camera, heads nearly upright.
            Assert.InRange(pose.GetProperty("yaw").GetSingle(), -30, 30);
            Assert.InRange(pose.GetProperty("pitch").GetSingle(), -30, 30);
            Assert.InRange(pose.GetProperty("roll").GetSingle(), -20, 20);
            var age = face.GetProperty("age").GetSingle();
            var range = face.GetProperty("ageRange");
            Assert.InRange(range.GetProperty("low").GetInt32(), 0, (int)MathF.Floor(age));
            Assert.InRange(range.GetProperty("high").GetInt32(), (int)MathF.Ceiling(age), 150);
            Assert.True(range.GetProperty("high").GetInt32() > range.GetProperty("low").GetInt32(), range.ToString());
        }

        Assert.InRange(grpc.Pose.Yaw, -30, 30);
        Assert.InRange(grpc.Pose.Roll, -20, 20);
        Assert.InRange(grpc.Attributes.AgeRange.Low, 0, grpc.Attributes.Age);
        Assert.InRange(grpc.Attributes.AgeRange.High, grpc.Attributes.Age, 150);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_new_inputs_and_answers()
    {
        var document = await Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.GetProperty("/v1/detect").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/v1/analyze/batch").TryGetProperty("post", out _));
        var searchForm = paths.GetProperty("/v1/collections/{collectionId}/search").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("properties");
        Assert.True(searchForm.TryGetProperty("embedding", out _));
        Assert.True(searchForm.TryGetProperty("faceId", out _));
        Assert.True(searchForm.TryGetProperty("qualityFilter", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("VerifyView").GetProperty("properties").TryGetProperty("box2", out _));
        Assert.True(schemas.GetProperty("EnrollView").GetProperty("properties").TryGetProperty("unindexedFaces", out _));
        var analyzeForm = paths.GetProperty("/v1/analyze").GetProperty("post").GetProperty("requestBody").GetProperty("content")
            .GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties");
        Assert.True(analyzeForm.TryGetProperty("attributes", out _));
        var face = document.GetProperty("components").GetProperty("schemas").GetProperty("AnalyzedFaceView").GetProperty("properties");
        Assert.True(face.TryGetProperty("pose", out _));
        Assert.True(face.TryGetProperty("ageRange", out _));
    }

    [Theory]
    [InlineData("/v1/analyze", "multipart/form-data")]
    [InlineData("/v1/analyze", "application/json")]
    [InlineData("/v1/analyze/batch", "multipart/form-data")]
    [InlineData("/v1/detect", "multipart/form-data")]
    [InlineData("/v1/detect", "application/json")]
    [InlineData("/v1/collections/{collectionId}/search", "multipart/form-data")]
    [InlineData("/v1/collections/{collectionId}/search", "application/json")]
    [InlineData("/v1/collections/{collectionId}/subjects/{subjectId}/faces", "multipart/form-data")]
    [InlineData("/v1/collections/{collectionId}/subjects/{subjectId}/faces", "application/json")]
    public async Task The_openapi_document_names_the_profile_of_every_operation_that_takes_one(string path, string contentType)
    {
        var document = await Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var body = document.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty(contentType).GetProperty("schema").GetProperty("properties");
        Assert.True(body.TryGetProperty("profile", out var profile), $"{path} ({contentType}) has no profile field");
        Assert.Contains("accurate", profile.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_names_the_profile_of_a_collection()
    {
        var document = await Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("CreateCollectionBody").GetProperty("properties").TryGetProperty("profile", out _));
        Assert.True(schemas.GetProperty("CollectionView").GetProperty("properties").TryGetProperty("profile", out _));
    }

    private static JsonElement Single(JsonElement answer) => Assert.Single(answer.GetProperty("faces").EnumerateArray());

    /// <summary>The gateway's calls to the internal RPCs so far (its client metrics).</summary>
    private async Task<(double Predict, double DetectAndEmbed, double Detect)> CountsAsync()
    {
        var metrics = await GrpcStatusMetricTests.ScrapeAsync(platform.Gateway);
        return (GrpcStatusMetricTests.Count(metrics, ClientCalls, Predict),
            GrpcStatusMetricTests.Count(metrics, ClientCalls, DetectAndEmbed),
            GrpcStatusMetricTests.Count(metrics, ClientCalls, DetectOnly));
    }

    /// <summary>
    /// Exactly these many more calls since <paramref name="before"/>. Detect is counted last and every call of the test
    /// is done, so once it shows, a scrape past the exporter's 300 ms copy shows every final count.
    /// </summary>
    private async Task ExpectCallsAsync((double Predict, double DetectAndEmbed, double Detect) before, int predict, int detectAndEmbed, int detect)
    {
        Assert.True(await GrpcStatusMetricTests.CountReachesAsync(platform.Gateway, ClientCalls, DetectOnly, before.Detect + detect),
            "the gateway's Detect calls were not counted");
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        var after = await CountsAsync();
        Assert.Equal(before.Detect + detect, after.Detect);
        Assert.Equal(before.DetectAndEmbed + detectAndEmbed, after.DetectAndEmbed);
        Assert.Equal(before.Predict + predict, after.Predict);
    }

    private static Image Image(string path) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(path)) };

    private async Task<JsonElement> PostAsync(string path, string key, HttpContent content)
    {
        using var answer = await Http.SendAsync(Send(path, key, content));
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"{path}: {(int)answer.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<JsonElement> SendJsonAsync(HttpMethod method, string path, string key, object? body = null)
    {
        using var answer = await Http.SendAsync(PlatformFixture.Request(method, path, key, body));
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.IsSuccessStatusCode, $"{method} {path}: {(int)answer.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static HttpRequestMessage Send(string path, string key, HttpContent content)
    {
        var request = PlatformFixture.Request(HttpMethod.Post, path, key);
        request.Content = content;
        return request;
    }
}
