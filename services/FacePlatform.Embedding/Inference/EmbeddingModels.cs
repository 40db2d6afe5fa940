using System.Collections.Concurrent;
using FacePlatform.ServiceDefaults.Hosting;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;
using Microsoft.Extensions.Options;

namespace FacePlatform.Embedding.Inference;

/// <summary>
/// The embedding service's pipeline: the detector with its mesh and the recognisers (no attribute stages: age and gender
/// come from a multi-task recogniser's own pass), loaded once in the background at start (readiness stays Unhealthy
/// until they are) and shared by every call.
/// </summary>
internal sealed class EmbeddingModels(
    IOptions<ModelsOptions> models,
    IOptions<InferenceOptions> inference,
    IOptions<DetectionOptions> detection,
    IOptions<RecognitionOptions> recognition,
    IOptions<AttributesOptions> attributes,
    IOptions<ProfileOptions> profiles,
    InferenceTelemetry telemetry,
    ILoggerFactory loggers,
    ILogger<EmbeddingModels> logger) : BackgroundLoader(logger)
{
    private readonly ConcurrentDictionary<string, IFaceRecogniser> _recognisers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IFaceDetector> _profileDetectors = new(StringComparer.Ordinal);
    private ModelCatalog? _catalog;
    private FaceAnalyzer? _analyzer;
    private bool? _recogniserAnswersAgeGender;

    public RecognitionOptions Recognition => recognition.Value;

    /// <summary>The pipeline every call runs (its recogniser is the default one; a call may name another).</summary>
    public FaceAnalyzer Analyzer => _analyzer ?? throw NotReady();

    public IFaceDetector Detector => Analyzer.Detector;

    /// <summary>The named profiles (Pipeline/InferenceProfiles.cs).</summary>
    public ProfileOptions Profiles => profiles.Value;

    /// <summary>
    /// The detector of profile <paramref name="profileName"/> (already resolved): the configured one for a profile that
    /// changes no detection knob, else one built from the profile's settings over the same model sessions.
    /// </summary>
    public IFaceDetector DetectorFor(string profileName, InferenceProfile profile)
    {
        var catalog = _catalog ?? throw NotReady();
        if (profile.Detector is null && profile.Mesh is null && profile.MinFaceFraction is null && profile.PaddedView is null)
        {
            return Detector;
        }

        return _profileDetectors.GetOrAdd(profileName, _ => PipelineFactory.CreateDetector(catalog, profile.Apply(detection.Value)));
    }

    /// <summary>
    /// The recogniser <paramref name="model"/> (empty: the default), its session opened on first use; with the trained
    /// heads of <see cref="AttributesOptions.AgeGenderModel"/> when they were trained on it.
    /// </summary>
    public IFaceRecogniser Recogniser(string? model)
    {
        var catalog = _catalog ?? throw NotReady();
        var name = string.IsNullOrEmpty(model) ? recognition.Value.DefaultModel : model;
        return _recognisers.GetOrAdd(name, n => PipelineFactory.CreateRecogniser(catalog, recognition.Value, n, attributes.Value.AgeGenderModel));
    }

    /// <summary>
    /// True when the recogniser's pass answers the served age and gender (<see cref="AttributesOptions.RecogniserPassAnswersAgeGender"/>);
    /// otherwise the attributes service computes them by <see cref="AttributesOptions.AgeGender"/>.
    /// </summary>
    public bool RecogniserAnswersAgeGender => _recogniserAnswersAgeGender ??= attributes.Value.RecogniserPassAnswersAgeGender;

    /// <summary>
    /// True when <paramref name="model"/> is a manifest model that its family serves as a recogniser, and for a trained model one or a trained projection this service is
    /// configured to serve (<see cref="RecognitionOptions.ProjectionModels"/>).
    /// </summary>
    public bool HasRecogniser(string model) =>
        _catalog?.Manifest.Find(model) is { } entry
        && ModelFamilies.BuiltIn.IsRecogniser(entry)
        && (entry.Task != TrainedHeads.Task || recognition.Value.ProjectionModels.Contains(model, StringComparer.Ordinal));

    /// <summary>
    /// Length of <paramref name="model"/>'s identity vectors, read from its manifest entry (the output called
    /// <c>embedding</c> or <c>descriptor</c>); 0 when the manifest is not open yet or has no such output.
    /// </summary>
    public int EmbeddingDimension(string model) =>
        _catalog?.Manifest.Find(model)?.Outputs.FirstOrDefault(o => o.Name is "embedding" or "descriptor") is { Shape.Count: > 0 } output
            ? (int)output.Shape[^1]
            : 0;

    protected override (IAsyncDisposable Resource, string Description) Load()
    {
        var directory = ModelDirectory.Resolve(models.Value.Directory);
        var catalog = ModelCatalog.Open(directory, inference.Value, telemetry, loggers);
        _catalog = catalog;
        var detector = PipelineFactory.CreateDetector(catalog, detection.Value);
        var recogniser = Recogniser(null);
        // A configured trained model that cannot be served (missing, or trained on a recogniser that changed) fails the load.
        var trained = string.IsNullOrEmpty(attributes.Value.AgeGenderModel) ? null : TrainedHeads.Open(catalog, attributes.Value.AgeGenderModel);
        // So does a configured projection that is missing, has no projection head or whose backbone changed.
        var projections = recognition.Value.ProjectionModels.Select(Recogniser).Select(r => r.ModelId);
        _analyzer = new FaceAnalyzer(detector, recogniser, attributes: null, telemetry: telemetry);
        return (catalog, $"{string.Join(", ", detector.ModelIds.Append(recogniser.ModelId).Concat(trained is null ? [] : [trained.ModelId]).Concat(projections))} from {directory} on the {catalog.Get(recogniser.BackboneId).Model.Provider} provider");
    }

    protected override bool IsLoadFailure(Exception exception) => ModelCatalog.IsLoadFailure(exception);
}
