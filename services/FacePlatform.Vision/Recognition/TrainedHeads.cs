using FacePlatform.Vision.Inference;

namespace FacePlatform.Vision.Recognition;

/// <summary>What trained heads answered for one face; a head the model lacks gives null.</summary>
/// <param name="Age">Expected age over the one-year bins.</param>
/// <param name="MaleProbability">Probability that the face is male.</param>
/// <param name="YoungProbability">Probability that the face is young.</param>
/// <param name="Projection">The L2-normalised projection.</param>
public sealed record HeadAnswer(float? Age, float? MaleProbability, float? YoungProbability, float[]? Projection);

/// <summary>
/// A model made by <c>facectl train</c> (manifest task <c>trained-heads</c>, docs/training.md): heads that read a
/// recogniser's L2-normalised embedding. It is served only on top of the exact recogniser it was trained on — the
/// manifest records that recogniser's id and SHA-256, and <see cref="Open"/> refuses any other.
/// </summary>
public sealed class TrainedHeads
{
    /// <summary>The manifest task of trained heads.</summary>
    public const string Task = "trained-heads";

    private readonly ModelRunner _runner;

    private TrainedHeads(ModelRunner runner, string backbone)
    {
        _runner = runner;
        Backbone = backbone;
        var outputs = runner.Model.Entry.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        HasAge = outputs.Contains("age");
        HasGender = outputs.Contains("gender");
        HasYoung = outputs.Contains("young");
        HasProjection = outputs.Contains("projection");
    }

    /// <summary>Model id.</summary>
    public string ModelId => _runner.Model.Name;

    /// <summary>The recogniser whose embedding it reads.</summary>
    public string Backbone { get; }

    /// <summary>True when it has an age head.</summary>
    public bool HasAge { get; }

    /// <summary>True when it has a gender head.</summary>
    public bool HasGender { get; }

    /// <summary>True when it has a young head.</summary>
    public bool HasYoung { get; }

    /// <summary>True when it has a projection head.</summary>
    public bool HasProjection { get; }

    /// <summary>
    /// The similarity thresholds of its projection as a recogniser, from its manifest entry: null unless
    /// <c>facectl eval calibrate</c> was run for it and the result imported (docs/training.md).
    /// </summary>
    public ModelImport.Manifest.ModelCalibration? Calibration => _runner.Model.Entry.Calibration;

    /// <summary>The trained model <paramref name="modelId"/> of <paramref name="catalog"/>, checked against its backbone.</summary>
    /// <exception cref="KeyNotFoundException">The manifest has no such model.</exception>
    /// <exception cref="InvalidDataException">It is not a trained model, or its backbone is missing or has changed.</exception>
    public static TrainedHeads Open(ModelCatalog catalog, string modelId)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var entry = catalog.Manifest[modelId];
        if (!string.Equals(entry.Task, Task, StringComparison.Ordinal) || entry.Training is not { } training)
        {
            throw new InvalidDataException($"Model '{modelId}' is a {entry.Task} model, not one made by facectl train ({Task}).");
        }

        var backbone = catalog.Manifest.Find(training.Backbone)
            ?? throw new InvalidDataException($"Trained model '{modelId}' reads the features of '{training.Backbone}', which the manifest does not list.");
        if (!string.Equals(backbone.Sha256, training.BackboneSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"Trained model '{modelId}' was trained on {training.Backbone} with SHA-256 {training.BackboneSha256}, but the manifest's {training.Backbone} has {backbone.Sha256}; retrain it.");
        }

        return new TrainedHeads(catalog.Get(modelId), training.Backbone);
    }

    /// <summary>Runs the heads on L2-normalised embeddings of <see cref="Backbone"/>, all in one batch.</summary>
    public async Task<IReadOnlyList<HeadAnswer>> RunAsync(IReadOnlyList<float[]> embeddings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        var outputs = await _runner.RunAsync(embeddings.Count, (i, sample) => embeddings[i].CopyTo(sample), cancellationToken);
        var answers = new List<HeadAnswer>(embeddings.Count);
        for (var i = 0; i < embeddings.Count; i++)
        {
            answers.Add(new HeadAnswer(
                HasAge ? AgeGender.ExpectedAge(outputs.Row("age", i)) : null,
                HasGender ? outputs.Row("gender", i)[0] : null,
                HasYoung ? outputs.Row("young", i)[0] : null,
                HasProjection ? outputs.Row("projection", i).ToArray() : null));
        }

        return answers;
    }
}
