using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FacePlatform.Vision.Inference;

/// <summary>
/// The inference pipeline's <see cref="ActivitySource"/> and <see cref="Meter"/> (both <c>FacePlatform.Inference</c>).
/// Attribute keys are namespaced <c>faceplatform.*</c> (OpenTelemetry's rule for attributes outside the semantic
/// conventions) and bounded: <see cref="ModelAttribute"/> takes manifest names only, the rest are counts.
/// </summary>
public sealed class InferenceTelemetry : IDisposable
{
    /// <summary>Name of the meter and the activity source.</summary>
    public const string Name = "FacePlatform.Inference";

    /// <summary>The model of a run or a queue (a manifest name); Prometheus label <c>faceplatform_model_name</c>.</summary>
    public const string ModelAttribute = "faceplatform.model.name";

    /// <summary>Samples (faces, tiles) in one model run, on its span.</summary>
    public const string BatchSizeAttribute = "faceplatform.batch.size";

    /// <summary>Faces (found, aligned, embedded or predicted) handled by a pipeline stage, on its span.</summary>
    public const string FaceCountAttribute = "faceplatform.face.count";

    private readonly ConcurrentDictionary<string, Func<int>> _queues = new(StringComparer.Ordinal);

    /// <summary>Creates the instruments.</summary>
    public InferenceTelemetry()
    {
        Meter = new Meter(Name);
        ActivitySource = new ActivitySource(Name);
        InferenceDuration = Meter.CreateHistogram<double>(
            "faceplatform.inference.duration", "s", "Time of one model run (one batch), by model",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ModelRunBuckets });
        BatchSize = Meter.CreateHistogram<int>(
            "faceplatform.batch.size", "{sample}", "Samples (faces, tiles) in one model run, by model");
        BatchRequests = Meter.CreateHistogram<int>(
            "faceplatform.batch.requests", "{request}", "Requests coalesced into one model run, by model");
        FacesPerPhoto = Meter.CreateHistogram<int>(
            "faceplatform.faces.per_photo", "{face}", "Faces found per photo");
        Rejected = Meter.CreateCounter<long>(
            "faceplatform.queue.rejected", "{request}", "Requests refused because a model's queue was full, by model");
        Meter.CreateObservableGauge(
            "faceplatform.queue.depth",
            () => _queues.Select(q => new Measurement<int>(q.Value(), new KeyValuePair<string, object?>(ModelAttribute, q.Key))),
            "{request}",
            "Requests waiting for a model, by model");
    }

    /// <summary>
    /// Bucket boundaries (seconds) of <c>faceplatform.inference.duration</c>. One model run (a batch) took 1–15 ms on the
    /// development machine's CPU (docs/benchmarks.md; faceres 7.6–13.4 ms), well under 1 ms on a GPU, and large
    /// batches on a busy CPU reach tens of milliseconds; OpenTelemetry's default boundaries (0, 5, 10, 25 … 10000)
    /// would put all of it in two buckets. The other duration sets are in ServiceDefaults' <c>DurationBuckets</c>,
    /// which this library does not reference.
    /// </summary>
    public static IReadOnlyList<double> ModelRunBuckets { get; } =
    [
        0.00025, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.0125, 0.015, 0.02, 0.03, 0.05,
        0.075, 0.1, 0.25, 0.5, 1,
    ];

    /// <summary>The meter.</summary>
    public Meter Meter { get; }

    /// <summary>Spans of model runs.</summary>
    public ActivitySource ActivitySource { get; }

    /// <summary><c>faceplatform.inference.duration</c> (s; tag <c>model</c>).</summary>
    public Histogram<double> InferenceDuration { get; }

    /// <summary><c>faceplatform.batch.size</c> (samples; tag <c>model</c>).</summary>
    public Histogram<int> BatchSize { get; }

    /// <summary><c>faceplatform.batch.requests</c> (requests per run; tag <c>model</c>).</summary>
    public Histogram<int> BatchRequests { get; }

    /// <summary><c>faceplatform.faces.per_photo</c>.</summary>
    public Histogram<int> FacesPerPhoto { get; }

    /// <summary><c>faceplatform.queue.rejected</c> (tag <c>model</c>).</summary>
    public Counter<long> Rejected { get; }

    /// <summary>
    /// Starts the span of one stage of a request's pipeline (<c>pipeline.decode</c>, <c>pipeline.detect</c>,
    /// <c>pipeline.align</c>, <c>pipeline.embed</c>, <c>pipeline.attributes</c>) under the gRPC call's span; null when
    /// nobody listens. The model runs a stage waits for are their own spans (<c>inference MODEL</c>), started by the
    /// batch loop, which serves several requests at once.
    /// </summary>
    public Activity? StartStage(string stage, int? faces = null)
    {
        var activity = ActivitySource.StartActivity("pipeline." + stage);
        if (activity is not null && faces is { } count)
        {
            activity.SetTag(FaceCountAttribute, count);
        }

        return activity;
    }

    /// <summary>Registers a queue for <c>faceplatform.queue.depth</c>.</summary>
    public void ObserveQueue(string model, Func<int> depth) => _queues[model] = depth;

    /// <inheritdoc />
    public void Dispose()
    {
        Meter.Dispose();
        ActivitySource.Dispose();
    }
}
