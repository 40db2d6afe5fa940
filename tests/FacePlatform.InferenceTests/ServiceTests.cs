using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Testing;
using FacePlatform.Vision.Inference;
using Google.Protobuf;
using Grpc.Core;

namespace FacePlatform.InferenceTests;

[Collection(ServicesCollection.Name)]
public sealed class ServiceTests(ServicesFixture services)
{
    private static Image Photo(params string[] parts) =>
        new() { Content = ByteString.CopyFrom(File.ReadAllBytes(Path.Combine([Paths.Faces, .. parts]))) };

    [Fact]
    public async Task DetectAndEmbed_returns_unit_embeddings_age_gender_and_crops()
    {
        var response = await services.Embedding.DetectAndEmbedAsync(new DetectRequest
        {
            Image = Photo("face_recognition", "examples", "two_people.jpg"),
            IncludeCrops = true,
        });

        Assert.Equal(2, response.Faces.Count);
        Assert.Equal(1126, response.ImageWidth);
        Assert.Contains("faceres", response.ModelIds);
        Assert.Equal(64, response.ImageSha256.Length);
        foreach (var face in response.Faces)
        {
            Assert.Equal("faceres", face.Embedding.ModelId);
            Assert.Equal(1024, face.Embedding.Values.Count);
            var norm = Math.Sqrt(face.Embedding.Values.Sum(v => (double)v * v));
            Assert.Equal(1.0, norm, 4);
            Assert.Equal(5, face.Landmarks.Count);
            Assert.InRange(face.DetectionScore, 0.5f, 1f);
            Assert.InRange(face.Quality.Score, 0f, 1f);
            Assert.InRange(face.Attributes.Age, 25f, 90f);
            Assert.Equal("male", face.Attributes.Gender.Label);
            Assert.Equal(224 * 224 * 3, face.Crop.Rgb.Length);
        }

        // The two people are different: their embeddings are far apart.
        var a = response.Faces[0].Embedding.Values;
        var b = response.Faces[1].Embedding.Values;
        Assert.True(a.Zip(b, (x, y) => x * y).Sum() < 0.6f);
    }

    [Fact]
    public async Task Each_pipeline_stage_is_a_span_of_the_call_with_its_face_count()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == InferenceTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        // The calls carry their own trace context, so spans of tests running beside this one are told apart.
        var embedTrace = ActivityTraceId.CreateRandom();
        var detected = await InTraceAsync(embedTrace, headers => services.Embedding.DetectAndEmbedAsync(
            new DetectRequest { Image = Photo("face_recognition", "examples", "two_people.jpg"), IncludeCrops = true }, headers));
        var attributesTrace = ActivityTraceId.CreateRandom();
        var request = new PredictRequest();
        request.Crops.AddRange(detected.Faces.Select(f => f.Crop));
        await InTraceAsync(attributesTrace, headers => services.Attributes.PredictAsync(request, headers));

        var stages = spans.Where(s => s.TraceId == embedTrace).ToDictionary(s => s.OperationName);
        Assert.Equal(["pipeline.align", "pipeline.decode", "pipeline.detect", "pipeline.embed"], stages.Keys.Order(StringComparer.Ordinal));
        foreach (var stage in new[] { "pipeline.detect", "pipeline.align", "pipeline.embed" })
        {
            Assert.Equal(2, stages[stage].GetTagItem(InferenceTelemetry.FaceCountAttribute));
        }

        var parents = stages.Values.Select(s => s.ParentSpanId).Distinct().ToList();
        Assert.Single(parents);
        Assert.NotEqual(default, parents[0]);
        var attributes = Assert.Single(spans, s => s.TraceId == attributesTrace);
        Assert.Equal("pipeline.attributes", attributes.OperationName);
        Assert.Equal(2, attributes.GetTagItem(InferenceTelemetry.FaceCountAttribute));
    }

    /// <summary>
    /// Runs <paramref name="call"/> in trace <paramref name="trace"/>: under a local parent activity (which the gRPC
    /// client instrumentation, when listening, propagates) and with its W3C traceparent header (for when it does not).
    /// </summary>
    private static async Task<T> InTraceAsync<T>(ActivityTraceId trace, Func<Metadata, AsyncUnaryCall<T>> call)
    {
        using var parent = new Activity("test").SetParentId(trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();
        return await call(new Metadata { { "traceparent", parent.Id! } });
    }

    [Fact]
    public async Task The_same_person_in_two_photos_is_closer_than_two_people()
    {
        async Task<float[]> Embed(params string[] path) =>
            [.. (await services.Embedding.DetectAndEmbedAsync(new DetectRequest { Image = Photo(path), MaxFaces = 1 })).Faces[0].Embedding.Values];
        var obama1 = await Embed("face_recognition", "examples", "knn_examples", "train", "obama", "obama.jpg");
        var obama2 = await Embed("face_recognition", "examples", "knn_examples", "train", "obama", "obama2.jpg");
        var biden = await Embed("face_recognition", "examples", "knn_examples", "train", "biden", "biden.jpg");
        var same = obama1.Zip(obama2, (x, y) => x * y).Sum();
        var different = obama1.Zip(biden, (x, y) => x * y).Sum();
        Assert.True(same > different + 0.1f, $"same {same:F3}, different {different:F3}");
    }

    [Fact]
    public async Task Attributes_predict_from_the_crops_of_DetectAndEmbed()
    {
        var detected = await services.Embedding.DetectAndEmbedAsync(new DetectRequest
        {
            Image = Photo("face_recognition", "examples", "knn_examples", "test", "kit_with_rose.jpg"),
            IncludeCrops = true,
        });
        Assert.Equal(2, detected.Faces.Count);
        var request = new PredictRequest();
        request.Crops.AddRange(detected.Faces.Select(f => f.Crop));
        var predicted = await services.Attributes.PredictAsync(request);
        Assert.Equal(2, predicted.Attributes.Count);
        foreach (var (attributes, face) in predicted.Attributes.Zip(detected.Faces))
        {
            Assert.Equal(7, attributes.Emotions.Count);
            Assert.InRange(attributes.Emotions.Sum(e => e.Score), 0.99f, 1.01f);
            Assert.InRange(attributes.RealScore, 0f, 1f);
            Assert.InRange(attributes.LiveScore, 0f, 1f);
            // Age and gender from the attributes service's FaceRes equal those of the embedding pass.
            Assert.Equal(face.Attributes.Gender.Label, attributes.Gender.Label);
            Assert.Equal(face.Attributes.Age, attributes.Age, 1f);
        }

        Assert.Equal(new[] { "female", "male" }, predicted.Attributes.Select(a => a.Gender.Label).Order());
    }

    [Fact]
    public async Task Embed_accepts_crops_from_DetectAndEmbed()
    {
        var detected = await services.Embedding.DetectAndEmbedAsync(new DetectRequest
        {
            Image = Photo("openface", "lennon-1.jpg"),
            IncludeCrops = true,
        });
        var request = new EmbedRequest();
        request.Crops.Add(detected.Faces[0].Crop);
        var embedded = await services.Embedding.EmbedAsync(request);
        var cosine = embedded.Embeddings[0].Values.Zip(detected.Faces[0].Embedding.Values, (x, y) => x * y).Sum();
        Assert.True(cosine > 0.999f, $"cosine {cosine}");
    }

    [Fact]
    public async Task A_100_megapixel_header_is_refused_before_decoding()
    {
        var png = PixelBomb.Png(10_000, 10_000);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await services.Embedding.DetectAsync(new DetectRequest { Image = new Image { Content = ByteString.CopyFrom(png) } }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("too_many_pixels", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broken_images_and_unknown_models_are_invalid_arguments()
    {
        var broken = await Assert.ThrowsAsync<RpcException>(async () =>
            await services.Embedding.DetectAsync(new DetectRequest { Image = Photo("compreface", "malformed", "truncated.jpg") }));
        Assert.Equal(StatusCode.InvalidArgument, broken.StatusCode);
        var model = await Assert.ThrowsAsync<RpcException>(async () =>
            await services.Embedding.DetectAndEmbedAsync(new DetectRequest { Image = Photo("openface", "adams.jpg"), ModelId = "emotion" }));
        Assert.Equal(StatusCode.InvalidArgument, model.StatusCode);
    }

    [Fact]
    public async Task A_profile_chooses_the_recogniser_unless_the_call_names_one_and_an_unknown_profile_is_invalid()
    {
        var fast = await services.Embedding.DetectAndEmbedAsync(new DetectRequest { Image = Photo("openface", "adams.jpg"), Profile = "fast" });
        var collectionBound = await services.Embedding.DetectAndEmbedAsync(
            new DetectRequest { Image = Photo("openface", "adams.jpg"), Profile = "fast", ModelId = "faceres" });
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await services.Embedding.DetectAsync(new DetectRequest { Image = Photo("openface", "adams.jpg"), Profile = "turbo" }));

        Assert.Equal("faceres-int8", Assert.Single(fast.Faces).Embedding.ModelId);
        Assert.Contains("facemesh", fast.ModelIds);
        // A collection's recogniser (the gateway sends it as model_id) is never replaced by the profile's.
        Assert.Equal("faceres", Assert.Single(collectionBound.Faces).Embedding.ModelId);
        var cosine = fast.Faces[0].Embedding.Values.Zip(collectionBound.Faces[0].Embedding.Values, (x, y) => x * y).Sum();
        Assert.InRange(cosine, 0.97f, 1.0001f);
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("accurate, fast", unknown.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_calls_are_coalesced_into_batches()
    {
        var requests = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == InferenceTelemetry.Name && instrument.Name == "faceplatform.batch.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == InferenceTelemetry.ModelAttribute && (string?)tag.Value == "faceres")
                {
                    lock (requests)
                    {
                        requests.Add(value);
                    }
                }
            }
        });
        listener.Start();

        var photo = Photo("openface", "carell.jpg");
        var calls = Enumerable.Range(0, 32).Select(_ => services.Embedding.DetectAndEmbedAsync(new DetectRequest { Image = photo }).ResponseAsync);
        var responses = await Task.WhenAll(calls);
        Assert.All(responses, r => Assert.Single(r.Faces));
        lock (requests)
        {
            Assert.Contains(requests, n => n > 1);
        }
    }

    [Fact]
    public async Task Readiness_reports_the_models()
    {
        var embedding = await services.EmbeddingHttp.GetStringAsync(new Uri("/readyz", UriKind.Relative));
        var attributes = await services.AttributesHttp.GetStringAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Contains("models", embedding, StringComparison.Ordinal);
        Assert.Contains("models", attributes, StringComparison.Ordinal);
    }
}
