using System.Globalization;
using FacePlatform.ModelImport.Conversion;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Training.Heads;

namespace FacePlatform.Training.Export;

/// <summary>What the manifest records about a trained model besides its heads.</summary>
/// <param name="ModelId">Model id (manifest name, file <c>&lt;id&gt;.onnx</c>).</param>
/// <param name="Backbone">The recogniser whose features the heads read.</param>
/// <param name="BackboneSha256">Its file's SHA-256.</param>
/// <param name="Dataset">Data set names.</param>
/// <param name="DatasetSize">Photos with features.</param>
/// <param name="TrainSize">Training photos.</param>
/// <param name="ValidationSize">Validation photos.</param>
/// <param name="Metrics">Metrics to record.</param>
/// <param name="Options">Training options to record.</param>
public sealed record TrainedModelInfo(
    string ModelId,
    string Backbone,
    string BackboneSha256,
    string Dataset,
    int DatasetSize,
    int TrainSize,
    int ValidationSize,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, string> Options);

/// <summary>
/// Writes a trained model into a model directory: <c>&lt;id&gt;.onnx</c> and its manifest entry (replacing an older
/// version of the same id, whose version it counts up), the SHA-256 the services verify before loading it.
/// </summary>
public static class TrainedModelWriter
{
    /// <summary>The manifest task of trained heads.</summary>
    public const string Task = Vision.Recognition.TrainedHeads.Task;

    /// <summary>Writes <paramref name="model"/> and returns its manifest entry.</summary>
    public static ModelEntry Write(string directory, byte[] model, IReadOnlyList<TrainedHead> heads, TrainedModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(info);
        var manifest = ModelManifest.TryRead(directory)
            ?? throw new FileNotFoundException($"No {ModelManifest.FileName} in {directory}: train into the model directory the services use.");
        var previous = manifest.Find(info.ModelId);
        if (previous is not null && previous.Training is null)
        {
            throw new InvalidOperationException($"Model id '{info.ModelId}' belongs to an imported model; choose another --model-id.");
        }

        var version = previous?.Training?.Version is { } v && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n + 1 : 1;
        var file = info.ModelId + ".onnx";
        var path = Path.Combine(directory, file);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, model);
        File.Move(temporary, path, overwrite: true);
        var width = heads[0].Network.Inputs;
        var entry = new ModelEntry(
            info.ModelId,
            Task,
            $"Heads ({string.Join(", ", heads.Select(h => h.Head.OutputName))}) trained by facectl train on {info.Dataset} over the frozen {info.Backbone} embedding.",
            file,
            ModelManifest.Sha256Of(path),
            new ModelSource("the training data's terms (see docs/training.md)", WeightsFrom: $"facectl train on {info.Dataset}", ConvertedBy: "facectl train"),
            new ModelInput(HeadExporter.InputName, [-1, width], "features", "none", [-1, 1], $"the L2-normalised embedding of {info.Backbone}", 1, 0),
            [.. heads.Select(h => new ModelOutput(h.Head.OutputName, [-1, h.Head.OutputWidth], Meaning(h.Head)))],
            new ModelStats(TfjsToOnnxConverter.Opset, heads.Sum(h => (long)h.Network.Parameters.Sum(p => p.Length))),
            new ModelTraining(
                version.ToString(CultureInfo.InvariantCulture),
                info.Backbone,
                info.BackboneSha256,
                [.. heads.Select(h => h.Head.OutputName)],
                info.Dataset,
                info.DatasetSize,
                info.TrainSize,
                info.ValidationSize,
                info.Metrics,
                info.Options,
                DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
        var models = manifest.Models.Where(m => !string.Equals(m.Name, info.ModelId, StringComparison.Ordinal)).Append(entry).ToList();
        ModelManifest.Write(directory, manifest.Document with { Models = models });
        return entry;
    }

    private static string Meaning(Head head) => head.Kind switch
    {
        HeadKind.Gender => "probability that the face is male (sigmoid)",
        HeadKind.Young => "probability that the face is young (sigmoid)",
        HeadKind.Age => $"probabilities of ages 0 … {head.OutputWidth - 1} in one-year bins (softmax); the age is the expected value",
        HeadKind.Projection => $"an L2-normalised {head.OutputWidth}-d projection of the embedding (triplet loss on cosine similarity)",
        _ => head.OutputName,
    };
}
