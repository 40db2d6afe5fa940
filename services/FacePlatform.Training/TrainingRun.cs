using System.Diagnostics;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Training.Datasets;
using FacePlatform.Training.Export;
using FacePlatform.Training.Features;
using FacePlatform.Training.Heads;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePlatform.Training;

/// <summary>Everything one <c>facectl train</c> run needs.</summary>
public sealed record TrainingRequest
{
    /// <summary>Data set folders or label files.</summary>
    public required IReadOnlyList<string> Datasets { get; init; }

    /// <summary>Their format (Auto: each detected).</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;

    /// <summary>The heads to train.</summary>
    public required IReadOnlyList<HeadKind> Heads { get; init; }

    /// <summary>The trainer's settings.</summary>
    public TrainerOptions Trainer { get; init; } = new();

    /// <summary>Share of photos for validation where a data set has no split of its own.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>The model directory: the backbone is read from it and the trained model written into it.</summary>
    public required string ModelsDirectory { get; init; }

    /// <summary>The trained model's id.</summary>
    public required string ModelId { get; init; }

    /// <summary>The recogniser whose features the heads read (null: the services' default).</summary>
    public string? Backbone { get; init; }

    /// <summary>Where features are cached.</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Photos in flight while computing features.</summary>
    public int Parallel { get; init; } = 2;

    /// <summary>The options as the user gave them, recorded in the manifest.</summary>
    public IReadOnlyDictionary<string, string> RecordedOptions { get; init; } = new Dictionary<string, string>();
}

/// <summary>Progress of a run.</summary>
public interface ITrainingProgress
{
    /// <summary>The feature pass starts over <paramref name="total"/> photos.</summary>
    void FeaturesStarted(int total);

    /// <summary><paramref name="done"/> photos have features.</summary>
    void FeaturesProgress(int done);

    /// <summary>Training starts: <paramref name="heads"/> for at most <paramref name="epochs"/> epochs.</summary>
    void TrainingStarted(IReadOnlyList<HeadKind> heads, int epochs);

    /// <summary>One head finished an epoch.</summary>
    void Epoch(EpochReport report);
}

/// <summary>What a run produced.</summary>
/// <param name="Entry">The manifest entry written.</param>
/// <param name="ModelPath">The ONNX file.</param>
/// <param name="Heads">The trained heads (best weights).</param>
/// <param name="Report">What was skipped.</param>
/// <param name="Parity">Per output: the largest |ONNX Runtime − trainer| on the validation features.</param>
/// <param name="Samples">Photos with features.</param>
/// <param name="CacheHits">Photos whose features came from the cache.</param>
/// <param name="FeatureTime">Time spent on features.</param>
/// <param name="TrainTime">Time spent training.</param>
public sealed record TrainingResult(
    ModelEntry Entry,
    string ModelPath,
    IReadOnlyList<TrainedHead> Heads,
    DatasetReport Report,
    IReadOnlyDictionary<string, float> Parity,
    IReadOnlyList<FaceSample> Samples,
    int CacheHits,
    TimeSpan FeatureTime,
    TimeSpan TrainTime);

/// <summary>
/// One training run from labelled photos to a served model: read the data sets in place, compute (or read back) the
/// frozen backbone's features with the services' own pipeline, train the heads, export them to ONNX, check ONNX Runtime
/// against the trainer (within <see cref="HeadExporter.ParityTolerance"/>), and write the model with its manifest entry.
/// </summary>
public static class TrainingRun
{
    /// <summary>Runs <paramref name="request"/>.</summary>
    /// <exception cref="InvalidOperationException">Nothing usable was left, or the exported model disagrees with the trainer.</exception>
    public static async Task<TrainingResult> RunAsync(TrainingRequest request, ITrainingProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var report = new DatasetReport();
        var heads = request.Heads.Distinct().ToList();
        var wanted = heads.Select(k => Head.Create(k, request.Trainer.Heads)).ToList();
        var items = new List<DatasetItem>();
        var names = new List<string>();
        foreach (var path in request.Datasets)
        {
            var dataset = DatasetReader.Read(path, request.Format, request.Trainer.Heads.YoungBelow, report);
            names.Add($"{dataset.Name} ({dataset.Format})");
            foreach (var item in dataset.Items)
            {
                var probe = new FaceSample(item.Path, [], item.Labels, false);
                if (wanted.Any(h => h.HasLabel(probe)))
                {
                    items.Add(item);
                }
                else
                {
                    report.Skip(SkipReasons.NoUsableLabel, item.Key);
                }
            }
        }

        if (items.Count == 0)
        {
            throw new InvalidOperationException($"No photo with a label for {string.Join(", ", heads)} in {string.Join(", ", request.Datasets)}.{Summary(report)}");
        }

        var directory = ModelDirectory.Resolve(request.ModelsDirectory);
        using var telemetry = new InferenceTelemetry();
        var catalog = ModelCatalog.Open(directory, new InferenceOptions { IntraOpThreads = 1 }, telemetry, NullLoggerFactory.Instance);
        await using var _ = catalog;
        var recognition = new RecognitionOptions();
        var analyzer = PipelineFactory.CreateAnalyzer(catalog, new DetectionOptions(), recognition, model: request.Backbone);
        var backbone = catalog.Manifest[analyzer.Recogniser.ModelId];
        var extractor = new FeatureExtractor(analyzer, backbone.Sha256, request.CacheDirectory);

        var clock = Stopwatch.StartNew();
        progress?.FeaturesStarted(items.Count);
        var samples = await extractor.ExtractAsync(
            items, i => ValidationSplit.IsValidation(i, request.ValidationFraction), report, request.Parallel, d => progress?.FeaturesProgress(d), cancellationToken);
        var featureTime = clock.Elapsed;

        clock.Restart();
        progress?.TrainingStarted(heads, request.Trainer.Epochs);
        var trained = HeadTrainer.Train(samples, heads, request.Trainer, r => progress?.Epoch(r), cancellationToken);
        var trainTime = clock.Elapsed;

        var validation = samples.Where(s => s.Validation).ToList();
        var check = validation.Count > 0 ? validation : samples;
        var rows = new float[check.Count * check[0].Features.Length];
        for (var i = 0; i < check.Count; i++)
        {
            check[i].Features.CopyTo(rows, i * check[0].Features.Length);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["backbone"] = backbone.Name,
            ["backbone_sha256"] = backbone.Sha256,
            ["dataset"] = string.Join(", ", names),
        };
        var model = HeadExporter.ToBytes(HeadExporter.Build(trained, $"facectl train: {string.Join(", ", heads)} on {backbone.Name}", metadata));
        var parity = HeadExporter.Compare(model, trained, rows, check.Count);
        if (parity.FirstOrDefault(p => p.Value > HeadExporter.ParityTolerance) is { Key: not null } bad)
        {
            throw new InvalidOperationException($"The exported model's '{bad.Key}' differs from the trainer by {bad.Value:G3} (tolerance {HeadExporter.ParityTolerance:G1}); nothing was written.");
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var head in trained)
        {
            var name = head.Head.OutputName;
            metrics[$"{name}.{head.Head.MetricName}"] = Math.Round(head.BestMetric, 6);
            metrics[$"{name}.{head.Head.MetricName}.initial"] = Math.Round(head.InitialMetric, 6);
            if (head.Baseline is { } baseline)
            {
                metrics[$"{name}.{head.Head.MetricName}.pretrained"] = Math.Round(baseline, 6);
            }

            metrics[$"{name}.best_epoch"] = head.BestEpoch;
            metrics[$"{name}.onnx_max_abs_diff"] = parity[name];
        }

        var entry = TrainedModelWriter.Write(directory, model, trained, new TrainedModelInfo(
            request.ModelId,
            backbone.Name,
            backbone.Sha256,
            string.Join(", ", names),
            samples.Count,
            samples.Count - validation.Count,
            validation.Count,
            metrics,
            request.RecordedOptions));
        return new TrainingResult(entry, Path.Combine(directory, entry.File), trained, report, parity, samples, extractor.CacheHits, featureTime, trainTime);
    }

    private static string Summary(DatasetReport report) =>
        report.TotalSkipped == 0 ? string.Empty : " Skipped: " + string.Join("; ", report.Lines());
}
