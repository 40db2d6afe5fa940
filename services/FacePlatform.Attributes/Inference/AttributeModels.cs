using FacePlatform.ServiceDefaults.Hosting;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using Microsoft.Extensions.Options;

namespace FacePlatform.Attributes.Inference;

/// <summary>
/// The attribute models (FaceRes for age and gender — or the trained heads of <see cref="AttributesOptions.AgeGenderModel"/>
/// on their recogniser — emotion, anti-spoofing, liveness), loaded once in the background
/// at start; readiness stays Unhealthy until they are.
/// </summary>
internal sealed class AttributeModels(
    IOptions<ModelsOptions> models,
    IOptions<InferenceOptions> inference,
    IOptions<RecognitionOptions> recognition,
    IOptions<AttributesOptions> attributes,
    InferenceTelemetry telemetry,
    ILoggerFactory loggers,
    ILogger<AttributeModels> logger) : BackgroundLoader(logger)
{
    private AttributePredictor? _predictor;
    private ModelCatalog? _catalog;

    public RecognitionOptions Recognition => recognition.Value;

    /// <summary>
    /// The framing of crops cut for recogniser <paramref name="model"/>: its manifest entry's (or its family's) when the
    /// manifest lists it, else the rule by name (<see cref="RecognitionOptions.TemplateFor"/>).
    /// </summary>
    public Vision.Alignment.AlignmentTemplate TemplateFor(string model) =>
        _catalog?.Manifest.Find(model) is { } entry ? ModelFamilies.BuiltIn.TemplateFor(entry, recognition.Value) : recognition.Value.TemplateFor(model);

    public AttributePredictor Predictor => _predictor ?? throw NotReady();

    protected override (IAsyncDisposable Resource, string Description) Load()
    {
        var directory = ModelDirectory.Resolve(models.Value.Directory);
        var catalog = ModelCatalog.Open(directory, inference.Value, telemetry, loggers);
        var predictor = PipelineFactory.CreateAttributes(
            catalog, recognition.Value.DefaultModel, recognition.Value, attributes.Value.AgeGenderModel, variant: attributes.Value.AgeGenderVariant);
        // Open every session now, so the first call does not pay for it and readiness means ready.
        foreach (var id in predictor.ModelIds)
        {
            _ = catalog.Get(id);
        }

        _catalog = catalog;
        _predictor = predictor;
        return (catalog, $"{string.Join(", ", predictor.ModelIds)} from {directory}");
    }

    protected override bool IsLoadFailure(Exception exception) => ModelCatalog.IsLoadFailure(exception);
}
