using FacePlatform.Testing;
using FacePlatform.Vision.Inference;

namespace FacePlatform.Vision.Tests;

/// <summary>The model-run histogram resolves the 1–15 ms that model runs were measured at.</summary>
public sealed class InferenceTelemetryTests
{
    [Fact]
    public void Inference_duration_is_created_with_model_run_buckets()
    {
        using var telemetry = new InferenceTelemetry();

        var boundaries = telemetry.InferenceDuration.Advice?.HistogramBucketBoundaries;

        Assert.Equal(InferenceTelemetry.ModelRunBuckets, boundaries);
        HistogramBuckets.AssertResolves(boundaries, 0.001, 0.015, atLeast: 8);
    }
}
