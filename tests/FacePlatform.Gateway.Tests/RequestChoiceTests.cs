using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Faces;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Tests;

/// <summary>What callers choose: attributes, the quality filter, faces given by vector or id.</summary>
public sealed class RequestChoiceTests
{
    private static readonly QualityGate Gate = new(Options.Create(new QualityGateOptions()));

    [Fact]
    public void Attributes_default_to_all_and_none_to_nothing()
    {
        var all = AnalyzeOptions.Create(null, [], 0, 0);
        var chosen = AnalyzeOptions.Create(null, [], 0, 0, ["Age, emotion", "age"]);
        var none = AnalyzeOptions.Create(null, [], 0, 0, ["none"]);

        Assert.Equal(["age", "emotion", "gender", "liveness"], all.Attributes.Order());
        Assert.Equal(["age", "emotion"], chosen.Attributes.Order());
        Assert.True(chosen.WantsAgeOrGender);
        Assert.Empty(none.Attributes);
        Assert.False(none.WantsAgeOrGender);
    }

    [Theory]
    [InlineData("beauty")]
    [InlineData("none,age")]
    public void Unknown_or_contradicting_attributes_are_invalid_arguments(string attributes)
    {
        var error = Assert.Throws<ApiProblemException>(() => AnalyzeOptions.Create(null, [], 0, 0, [attributes]));

        Assert.Equal(400, error.HttpStatus);
        Assert.Equal(StatusCode.InvalidArgument, error.GrpcStatus);
    }

    [Fact]
    public void A_face_gets_every_reason_it_misses_the_level()
    {
        var face = new DetectedFace
        {
            Box = new Box { Width = 30, Height = 36 },
            DetectionScore = 0.55f,
            Quality = new Quality { Sharpness = 0.1f },
            Pose = new Pose { Yaw = 50 },
        };
        var good = new DetectedFace
        {
            Box = new Box { Width = 200, Height = 240 },
            DetectionScore = 0.95f,
            Quality = new Quality { Sharpness = 0.8f },
            Pose = new Pose { Yaw = 5, Pitch = -3 },
        };

        var (passed, refused) = QualityGate.Split([face, good], Gate.Thresholds("medium"));
        var (all, none) = QualityGate.Split([face, good], Gate.Thresholds("none"));

        Assert.Same(good, Assert.Single(passed));
        Assert.Equal(["too_small", "blurry", "not_frontal", "low_confidence"], Assert.Single(refused).Reasons);
        Assert.Equal(2, all.Count);
        Assert.Empty(none);
    }

    [Fact]
    public void Auto_is_the_configured_level_and_an_empty_filter_the_default()
    {
        var gate = new QualityGate(Options.Create(new QualityGateOptions { Auto = "high", Default = "low" }));

        Assert.Same(gate.Thresholds("high"), gate.Thresholds("AUTO"));
        Assert.Same(gate.Thresholds("low"), gate.Thresholds(null));
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<ApiProblemException>(() => gate.Thresholds("strict")).GrpcStatus);
    }

    [Fact]
    public void A_face_reference_is_a_vector_with_its_model_or_a_face_id_never_both()
    {
        var vector = new Contracts.V1.Embedding { ModelId = "faceres", Values = { 0.1f, 0.2f } };

        Assert.Null(FaceReference.From(null, " ", "query"));
        Assert.Equal("f1", FaceReference.From(null, "f1", "query")!.FaceId);
        Assert.Same(vector, FaceReference.From(vector, null, "query")!.Embedding);
        Assert.Throws<ApiProblemException>(() => FaceReference.From(vector, "f1", "query"));
        Assert.Throws<ApiProblemException>(() => FaceReference.From(new Contracts.V1.Embedding { Values = { 1f } }, null, "query"));
    }
}
