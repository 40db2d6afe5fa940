using FacePlatform.ModelImport.Manifest;
using FacePlatform.Testing;
using FacePlatform.Training.Datasets;
using FacePlatform.Training.Export;
using FacePlatform.Training.Heads;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace FacePlatform.Training.Tests;

/// <summary>
/// One training run of every head on a small labelled set from ../shared/data/faces (the face-api.js identities and
/// UTKFace chips, with a corrupt photo, malformed lines and a malformed label file), with the real models: made once and
/// shared by the tests below.
/// </summary>
public sealed class TrainedRunFixture : IAsyncLifetime
{
    public static readonly HeadKind[] Heads = [HeadKind.Gender, HeadKind.Young, HeadKind.Age, HeadKind.Projection];

    public string Folder { get; } = TrainingSets.NewFolder("training");

    public TrainingResult Result { get; private set; } = null!;

    public TrainingRequest Request { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Request = new TrainingRequest
        {
            Datasets = [TrainingSets.IdentitiesCsv(Folder), TrainingSets.UtkFolder(Folder, 40), TrainingSets.MalformedCsv(Folder)],
            Heads = Heads,
            // No early stop: every head runs all epochs, so the loss curve is whole.
            Trainer = new TrainerOptions { Epochs = 25, Patience = 100, Hidden = 32, LearningRate = 3e-3f, BatchSize = 16 },
            ModelsDirectory = TrainingSets.ModelDirectory(Folder),
            ModelId = "test-heads",
            CacheDirectory = Path.Combine(Folder, "cache"),
        };
        Result = await TrainingRun.RunAsync(Request);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class TrainingRunTests(TrainedRunFixture fixture) : IClassFixture<TrainedRunFixture>
{
    private TrainingResult Result => fixture.Result;

    [Theory]
    [InlineData(HeadKind.Gender)]
    [InlineData(HeadKind.Young)]
    [InlineData(HeadKind.Age)]
    [InlineData(HeadKind.Projection)]
    public void EachHeadsTrainingLossFalls(HeadKind kind)
    {
        var head = Result.Heads.Single(h => h.Head.Kind == kind);
        Assert.True(head.TrainCount >= 20, $"{kind}: only {head.TrainCount} training samples");
        Assert.Equal(25, head.Losses.Count);
        Assert.True(head.Losses[^1] < head.Losses[0] * 0.9, $"{kind}: loss {string.Join(" ", head.Losses.Select(l => l.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.Equal(25, head.Metrics.Count);
        Assert.False(double.IsNaN(head.BestMetric), $"{kind}: no validation metric");
    }

    [Fact]
    public void TheExportedModelMatchesTheTrainerInOnnxRuntime()
    {
        // Every photo with features, training and validation, through the written file (not the bytes in memory).
        var samples = Result.Samples;
        var width = samples[0].Features.Length;
        var rows = new float[samples.Count * width];
        for (var i = 0; i < samples.Count; i++)
        {
            samples[i].Features.CopyTo(rows, i * width);
        }

        using var session = new InferenceSession(Result.ModelPath);
        using var input = OrtValue.CreateTensorValueFromMemory(rows, [samples.Count, width]);
        using var runOptions = new RunOptions();
        var names = Result.Heads.Select(h => h.Head.OutputName).ToArray();
        using var outputs = session.Run(runOptions, [HeadExporter.InputName], [input], names);
        for (var h = 0; h < names.Length; h++)
        {
            var expected = Result.Heads[h].Predict(rows, samples.Count);
            var actual = outputs[h].GetTensorDataAsSpan<float>().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            var worst = Enumerable.Range(0, expected.Length).MaxBy(i => Math.Abs(expected[i] - actual[i]));
            Assert.True(Math.Abs(expected[worst] - actual[worst]) <= 1e-5f,
                $"{names[h]}[{worst}]: trainer {expected[worst]:G9}, ONNX Runtime {actual[worst]:G9}");
        }
    }

    [Fact]
    public void TheModelIsWrittenWithAManifestEntryTheCatalogueVerifies()
    {
        var manifest = ModelManifest.Load(fixture.Request.ModelsDirectory);
        var entry = manifest["test-heads"];
        Assert.Equal(TrainedModelWriter.Task, entry.Task);
        Assert.Equal(ModelManifest.Sha256Of(Result.ModelPath), entry.Sha256);
        var training = Assert.IsType<ModelTraining>(entry.Training);
        Assert.Equal("faceres", training.Backbone);
        Assert.Equal(manifest["faceres"].Sha256, training.BackboneSha256);
        Assert.Equal(["gender", "young", "age", "projection"], training.Heads);
        Assert.Equal(Result.Samples.Count, training.DatasetSize);
        Assert.Equal(Result.Samples.Count(s => s.Validation), training.ValidationSize);
        Assert.Contains("identities.csv", training.Dataset, StringComparison.Ordinal);
        foreach (var name in new[] { "gender.accuracy", "young.accuracy", "age.mae_years", "projection.rank1", "age.onnx_max_abs_diff" })
        {
            Assert.True(training.Metrics.ContainsKey(name), $"metric {name} missing: {string.Join(", ", training.Metrics.Keys)}");
        }

        // The imported models are still listed (the entry was added, nothing replaced).
        Assert.NotNull(manifest.Find("faceres"));
        Assert.Equal(["features"], [entry.Input.Name]);
        Assert.Equal([-1L, Result.Samples[0].Features.Length], entry.Input.Shape);
    }

    [Fact]
    public async Task TheTrainedProjectionIsARecogniserOfItsOwnWhoseEmbeddingIsTheNormalisedProjectionOfTheBackbones()
    {
        await using var catalog = ModelCatalog.Open(fixture.Request.ModelsDirectory, new InferenceOptions(), new InferenceTelemetry(), NullLoggerFactory.Instance);
        var analyzer = PipelineFactory.CreateAnalyzer(catalog, new DetectionOptions(), new RecognitionOptions(), model: "test-heads");
        var sample = Result.Samples.First(s => s.Validation && s.Path.Contains("face-api-js", StringComparison.Ordinal));

        var analysis = await analyzer.AnalyzeAsync(await File.ReadAllBytesAsync(sample.Path), new AnalysisRequest { Attributes = AttributeKinds.None });

        Assert.Equal("test-heads", analyzer.Recogniser.ModelId);
        Assert.Equal("faceres", analyzer.Recogniser.BackboneId);
        Assert.Equal(["faceres", "test-heads"], analyzer.Recogniser.ModelIds);
        // No calibration until facectl eval calibrate is run for it: the fixed default thresholds apply (docs/training.md).
        Assert.Null(analyzer.Recogniser.Calibration);
        var embedding = Assert.IsType<FaceEmbedding>(analysis.Faces[0].Embedding);
        Assert.Equal("test-heads", embedding.ModelId);
        // The trainer's own projection of the cached backbone features of the same photo, normalised.
        var expected = FaceEmbedding.Normalise(Result.Heads.Single(h => h.Head.Kind == HeadKind.Projection).Predict(sample.Features, 1));
        Assert.Equal(expected.Length, embedding.Vector.Length);
        var worst = Enumerable.Range(0, expected.Length).MaxBy(i => Math.Abs(expected[i] - embedding.Vector[i]));
        Assert.True(Math.Abs(expected[worst] - embedding.Vector[worst]) <= 1e-4f, $"value {worst}: served {embedding.Vector[worst]:G9}, trainer {expected[worst]:G9}");
    }

    [Fact]
    public void ACorruptImageAndMalformedLabelsAreReportedAndSkipped()
    {
        var report = Result.Report.Skipped;
        Assert.Equal(1, report.GetValueOrDefault(SkipReasons.UnreadableImage));
        Assert.Contains("corrupted.png", Result.Report.ExamplesOf(SkipReasons.UnreadableImage)[0], StringComparison.Ordinal);
        // The identities CSV's bad age and short line, and the UTK link whose name is not UTKFace's.
        Assert.Equal(3, report.GetValueOrDefault(SkipReasons.MalformedLabel));
        Assert.Equal(1, report.GetValueOrDefault(SkipReasons.MalformedLabelFile));
        Assert.Contains("malformed.csv", Result.Report.ExamplesOf(SkipReasons.MalformedLabelFile)[0], StringComparison.Ordinal);
        Assert.DoesNotContain(Result.Samples, s => s.Path.EndsWith("corrupted.png", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASecondRunReadsTheCachedFeaturesAndGivesTheSameModel()
    {
        var again = await TrainingRun.RunAsync(fixture.Request with { ModelId = "test-heads-again" });
        // Every photo read the first time (with a face, without one, unreadable) comes from the cache now.
        var first = Result.Report.Skipped;
        Assert.Equal(Result.Samples.Count + first.GetValueOrDefault(SkipReasons.UnreadableImage) + first.GetValueOrDefault(SkipReasons.NoFace), again.CacheHits);
        Assert.Equal(File.ReadAllBytes(Result.ModelPath), File.ReadAllBytes(again.ModelPath));
        Assert.Equal(Result.Heads.Select(h => h.BestMetric), again.Heads.Select(h => h.BestMetric));
    }
}
