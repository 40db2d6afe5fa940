using FacePlatform.ModelImport.Catalogue;
using FacePlatform.ModelImport.Manifest;

namespace FacePlatform.ModelImport.Tests;

/// <summary>Thresholds at false-accept rates from impostor pairs, and how the importer carries them into the manifest.</summary>
public sealed class CalibrationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fp-calibration-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Impostor scores whose upper tail is exactly exponential: P(S > 0.4 + y) = 0.2·exp(−y / 0.05).</summary>
    private static float[] ExponentialTail(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var u = random.NextDouble();
            // Below the 80th percentile: uniform in [0.1, 0.4); above: 0.4 plus an exponential excess.
            return (float)(u < 0.8 ? 0.1 + 0.3 * u / 0.8 : 0.4 - 0.05 * Math.Log(1 - (u - 0.8) / 0.2));
        })];
    }

    [Fact]
    public void Empirical_thresholds_let_through_at_most_the_stated_share_of_impostors()
    {
        var impostors = ExponentialTail(20_000, 1);

        var calibration = ThresholdCalibrator.Calibrate(impostors, [0.9f, 0.7f, 0.6f, 0.5f], "synthetic");

        var empirical = calibration.Thresholds.Where(t => t.Basis == "empirical").ToList();
        Assert.Equal([1e-1, 3e-2, 1e-2, 3e-3, 1e-3], empirical.Select(t => t.FalseAcceptRate));
        foreach (var point in empirical)
        {
            var above = impostors.Count(s => s >= point.Threshold);
            Assert.True(above <= point.FalseAcceptRate * impostors.Length + 1, $"rate {point.FalseAcceptRate}: {above} impostors at or above {point.Threshold}");
            Assert.True(above >= point.FalseAcceptRate * impostors.Length * 0.9, $"rate {point.FalseAcceptRate}: only {above} impostors above {point.Threshold}");
        }

        Assert.Equal(20_000, calibration.ImpostorPairs);
        Assert.Equal(4, calibration.GenuinePairs);
    }

    [Fact]
    public void The_tail_fit_finds_the_true_quantile_beyond_the_data()
    {
        // 1e-5 lies 100× beyond what 1,000 pairs show; the exact quantile is 0.4 + 0.05·ln(0.2 / 1e-5) = 0.895.
        var calibration = ThresholdCalibrator.Calibrate(ExponentialTail(20_000, 2), [], "synthetic");

        var point = calibration.Thresholds.Single(t => t.FalseAcceptRate == 1e-5);
        Assert.Equal("tail-fit", point.Basis);
        Assert.InRange(point.Threshold, 0.85f, 0.95f);
        Assert.Null(point.TrueAcceptRate);
    }

    [Fact]
    public void Thresholds_rise_as_the_rate_falls()
    {
        var calibration = ThresholdCalibrator.Calibrate(ExponentialTail(3_000, 3), [0.6f], "synthetic");

        var thresholds = calibration.Thresholds.Select(t => t.Threshold).ToList();
        Assert.Equal(thresholds.Order(), thresholds);
        Assert.Equal(calibration.Thresholds.Select(t => t.FalseAcceptRate).OrderDescending(), calibration.Thresholds.Select(t => t.FalseAcceptRate));
    }

    [Fact]
    public void Too_few_impostor_pairs_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => ThresholdCalibrator.Calibrate(ExponentialTail(100, 4), [], "synthetic"));
        Assert.Contains("100 impostor pairs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_catalogue_holds_a_calibration_of_the_default_recogniser()
    {
        var faceres = ModelCatalogue.Calibrations["faceres"];

        Assert.True(faceres.ImpostorPairs >= 1000, $"{faceres.ImpostorPairs} impostor pairs");
        Assert.Contains(faceres.Thresholds, t => t.FalseAcceptRate == 1e-3);
        Assert.Equal(faceres.Thresholds.Select(t => t.Threshold).Order(), faceres.Thresholds.Select(t => t.Threshold));
    }

    [Fact]
    public async Task The_importer_writes_the_calibration_and_stage_into_an_up_to_date_manifest_without_converting()
    {
        // A manifest whose faceres entry is current (same package, file hash matches) but has no calibration.
        Directory.CreateDirectory(_directory);
        File.WriteAllBytes(Path.Combine(_directory, "faceres.onnx"), [7, 7, 7]);
        var package = ModelCatalogue.Package;
        var entry = new ModelEntry(
            "faceres",
            "face-embedding+age+gender",
            "stand-in",
            "faceres.onnx",
            ModelManifest.Sha256Of(Path.Combine(_directory, "faceres.onnx")),
            new ModelSource(package.Licence, package.Name, package.Version, package.Integrity),
            new ModelInput("input", [-1, 224, 224, 3], "NHWC", "RGB", [0, 1], "RGB pixel / 255", 1 / 255.0, 0),
            [new ModelOutput("embedding", [-1, 1024], "embedding")]);
        // Its variants are current too (made from this file), so nothing is converted or quantised; they predate the
        // stage field as well.
        var variants = ModelCatalogue.Variants.Where(v => v.Of == "faceres").Select(v =>
        {
            File.WriteAllBytes(Path.Combine(_directory, v.Name + ".onnx"), [8, 8, 8]);
            return entry with
            {
                Name = v.Name,
                File = v.Name + ".onnx",
                Sha256 = ModelManifest.Sha256Of(Path.Combine(_directory, v.Name + ".onnx")),
                Variant = new ModelVariant("faceres", entry.Sha256, v.Precision, "stand-in", "none", new Dictionary<string, double>(), 1),
            };
        }).ToList();
        Assert.NotEmpty(variants);
        ModelManifest.Write(_directory, new ModelManifestDocument(ModelManifest.CurrentSchemaVersion, [entry, .. variants]));

        var report = await new ModelImporter(new ModelImportOptions(_directory, Path.Combine(_directory, "cache"), ["faceres"]), _ => { })
            .ImportAsync();

        Assert.False(Assert.Single(report).Converted);
        var written = ModelManifest.Load(_directory)["faceres"].Calibration;
        Assert.NotNull(written);
        Assert.Equal(ModelCatalogue.Calibrations["faceres"].Thresholds, written.Thresholds);
        // The entry predates the stage field: it gets FaceRes's family and crop contract in place.
        Assert.Equal(new ModelStage("faceres", "human-box", "detector-box"), ModelManifest.Load(_directory)["faceres"].Stage);
        // A variant takes its base's stage.
        foreach (var variant in variants)
        {
            Assert.Equal(new ModelStage("faceres", "human-box", "detector-box"), ModelManifest.Load(_directory)[variant.Name].Stage);
        }
    }
    [Fact]
    public async Task A_face_api_recogniser_imported_as_a_descriptor_becomes_a_calibrated_face_embedding_model_in_place()
    {
        // faceapi-recognition as the first face-api import wrote it: task face-descriptor, no calibration.
        Directory.CreateDirectory(_directory);
        File.WriteAllBytes(Path.Combine(_directory, "faceapi-recognition.onnx"), [9, 9, 9]);
        var catalogued = ModelCatalogue.Get("faceapi-recognition");
        var package = catalogued.Package;
        var entry = new ModelEntry(
            "faceapi-recognition",
            "face-descriptor",
            "stand-in",
            "faceapi-recognition.onnx",
            ModelManifest.Sha256Of(Path.Combine(_directory, "faceapi-recognition.onnx")),
            new ModelSource(package.Licence, package.Name, package.Version, package.Integrity),
            new ModelInput("input", [-1, 150, 150, 3], "NHWC", "RGB", [0, 255], "stand-in", 1, 0),
            [new ModelOutput("descriptor", [-1, 128], "descriptor")],
            Stage: new ModelStage("faceapi-recognition"));
        ModelManifest.Write(_directory, new ModelManifestDocument(ModelManifest.CurrentSchemaVersion, [entry]));

        var report = await new ModelImporter(new ModelImportOptions(_directory, Path.Combine(_directory, "cache"), ["faceapi-recognition"]), _ => { })
            .ImportAsync();

        Assert.False(Assert.Single(report).Converted);
        var written = ModelManifest.Load(_directory)["faceapi-recognition"];
        Assert.Equal("face-embedding", catalogued.Task);
        Assert.Equal("face-embedding", written.Task);
        Assert.NotNull(written.Calibration);
        Assert.Equal(ModelCatalogue.Calibrations["faceapi-recognition"].Thresholds, written.Calibration.Thresholds);
        Assert.Equal(entry.Sha256, written.Sha256);
    }
}
