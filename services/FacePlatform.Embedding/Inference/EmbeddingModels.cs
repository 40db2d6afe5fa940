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
    InferenceTelemetry telemetry,
    ILoggerFactory loggers,
    ILogger<EmbeddingModels> logger) : BackgroundLoader(logger)
{
    private readonly ConcurrentDictionary<string, IFaceRecogniser> _recognisers = new(StringComparer.Ordinal);
    private ModelCatalog? _catalog;
    private FaceAnalyzer? _analyzer;

    public RecognitionOptions Recognition => recognition.Value;

    /// <summary>The pipeline every call runs (its recogniser is the default one; a call may name another).</summary>
    public FaceAnalyzer Analyzer => _analyzer ?? throw NotReady();

    public IFaceDetector Detector => Analyzer.Detector;

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

    /// <summary>True when the manifest has a model called <paramref name="model"/> that its family serves as a recogniser.</summary>
    public bool HasRecogniser(string model) =>
        _catalog?.Manifest.Find(model) is { } entry && ModelFamilies.BuiltIn.IsRecogniser(entry);

    protected override (IAsyncDisposable Resource, string Description) Load()
    {
        var directory = ModelDirectory.Resolve(models.Value.Directory);
        var catalog = ModelCatalog.Open(directory, inference.Value, telemetry, loggers);
        _catalog = catalog;
        var detector = PipelineFactory.CreateDetector(catalog, detection.Value);
        var recogniser = Recogniser(null);
        // A configured trained model that cannot be served (missing, or trained on a recogniser that changed) fails the load.
        var trained = string.IsNullOrEmpty(attributes.Value.AgeGenderModel) ? null : TrainedHeads.Open(catalog, attributes.Value.AgeGenderModel);
        _analyzer = new FaceAnalyzer(detector, recogniser, attributes: null, telemetry: telemetry);
        return (catalog, $"{string.Join(", ", detector.ModelIds.Append(recogniser.ModelId).Concat(trained is null ? [] : [trained.ModelId]))} from {directory} on the {catalog.Get(recogniser.ModelId).Model.Provider} provider");
    }

    protected override bool IsLoadFailure(Exception exception) => ModelCatalog.IsLoadFailure(exception);
}
