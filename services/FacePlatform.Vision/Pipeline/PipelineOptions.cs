using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Vision.Pipeline;

/// <summary>Recogniser settings (configuration section <c>Recognition</c>).</summary>
public sealed class RecognitionOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Recognition";

    /// <summary>
    /// The default recogniser: FaceRes, the best measured verification accuracy on the shared photos (docs/accuracy.md),
    /// and multi-task (one pass gives identity, age and gender).
    /// </summary>
    public string DefaultModel { get; set; } = "faceres";

    /// <summary>Template per model id; models not listed use <see cref="TemplateFor"/>'s rule.</summary>
    public Dictionary<string, string> Templates { get; init; } = new(StringComparer.Ordinal);

    /// <summary>How every recogniser's crop is cut; unset: <see cref="CropModeFor"/>'s per-model rule.</summary>
    public CropMode? CropMode { get; set; }

    /// <summary>
    /// The measured best crop per model (docs/accuracy.md): FaceRes on Human's detector-box crop (10-fold accuracy
    /// 0.9923, AUC 0.9983 on the shared photos, against 0.9895 / 0.9937 with landmark alignment to the same framing),
    /// landmark-aligned ArcFace crops for the others.
    /// </summary>
    public CropMode CropModeFor(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return CropMode ?? (model.StartsWith("faceres", StringComparison.Ordinal) ? Alignment.CropMode.DetectorBox : Alignment.CropMode.Aligned);
    }

    /// <summary>
    /// Models made by <c>facectl train</c> with a projection head that the embedding service serves as recognisers of
    /// their own, side by side with the pretrained ones (e.g. <c>Recognition__ProjectionModels__0=my-projection</c>):
    /// a collection created with such a model id holds its projected vectors and only those (docs/training.md).
    /// Empty: none. In-process tools (<c>facectl --model</c>) serve any trained projection they are asked for.
    /// </summary>
    public List<string> ProjectionModels { get; init; } = [];

    /// <summary>How age is read from FaceRes's bins.</summary>
    public AgeReadout AgeReadout { get; set; } = AgeReadout.Expected;

    /// <summary>
    /// The crop a model was trained on: FaceRes with Human's wide crop, ArcFace-family recognisers (MobileFaceNet,
    /// MobileFace, operator models) with the ArcFace template.
    /// </summary>
    public AlignmentTemplate TemplateFor(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Templates.TryGetValue(model, out var name))
        {
            return AlignmentTemplate.Parse(name);
        }

        return model.StartsWith("faceres", StringComparison.Ordinal) ? AlignmentTemplate.HumanBox : AlignmentTemplate.ArcFace;
    }
}

/// <summary>
/// Builds the pipeline's stages from a <see cref="ModelCatalog"/> through the <see cref="ModelFamilies"/> registry
/// (default: <see cref="ModelFamilies.BuiltIn"/>): the one place that turns settings and manifest entries into stages,
/// for the services, facectl and the trainer alike.
/// </summary>
public static class PipelineFactory
{
    /// <summary>The models that answer attributes beside age and gender, in the order their answers are reported.</summary>
    public static IReadOnlyList<string> AttributeModels { get; } = ["emotion", "antispoof", "liveness"];

    /// <summary>The detector <see cref="DetectionOptions.Detector"/> (with the mesh when configured and present).</summary>
    public static IFaceDetector CreateDetector(ModelCatalog catalog, DetectionOptions options, ModelFamilies? families = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var context = Context(catalog, families, options, null, null);
        return context.Families.CreateDetector(context, options.Detector);
    }

    /// <summary>
    /// The recogniser <paramref name="model"/> (default: <see cref="RecognitionOptions.DefaultModel"/>), with the trained
    /// heads <paramref name="trainedModel"/> when they were trained on it (other recognisers are returned as they are).
    /// A model made by <c>facectl train</c> with a projection head is the recogniser of its own: its backbone's crop
    /// and pass, and the projection as the embedding.
    /// </summary>
    /// <exception cref="ArgumentException">The model's family serves no recogniser.</exception>
    public static IFaceRecogniser CreateRecogniser(ModelCatalog catalog, RecognitionOptions options, string? model = null, string? trainedModel = null, ModelFamilies? families = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var context = Context(catalog, families, null, options, new AttributesOptions { AgeGenderModel = trainedModel });
        return context.Families.CreateRecogniser(context, string.IsNullOrEmpty(model) ? options.DefaultModel : model);
    }

    /// <summary>
    /// The attribute stages present in the catalogue: age and gender from <paramref name="ageGenderModel"/> (by
    /// <paramref name="variant"/>; default: FaceRes as its embedding pass gives them), or from the trained heads
    /// <paramref name="trainedModel"/> on top of the recogniser they were trained on; then <see cref="AttributeModels"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The variant needs a model the catalogue lacks.</exception>
    public static AttributePredictor CreateAttributes(
        ModelCatalog catalog, string ageGenderModel = "faceres", RecognitionOptions? recognition = null, string? trainedModel = null, ModelFamilies? families = null,
        AgeGenderVariant? variant = null)
    {
        var context = Context(catalog, families, null, recognition, new AttributesOptions { AgeGenderModel = trainedModel });
        variant ??= AgeGenderVariant.Default;
        var byVariant = string.IsNullOrEmpty(trainedModel) && variant != AgeGenderVariant.Default;
        var ageGender = string.IsNullOrEmpty(trainedModel) ? ageGenderModel : trainedModel;
        var stages = (byVariant ? AttributeModels : new[] { ageGender }.Concat(AttributeModels))
            .Where(name => catalog.Manifest.Find(name) is { } entry && context.Families.IsAttributePredictor(entry))
            .Select(name => context.Families.CreateAttributes(context, name));
        if (byVariant)
        {
            // A variant other than the recogniser's pass: the estimator over FaceRes, GEAR and/or face-api's net
            // answers every face (only the models the variant names are opened).
            var sources = AgeGenderEstimator.SourcesOf(variant);
            ModelRunner? Open(AgeGenderSource model) => sources.Contains(model) ? catalog.Find(AgeGenderEstimator.ModelNameOf(model)!) : null;
            var estimator = new AgeGenderEstimator(catalog.Find(ageGenderModel), Open(AgeGenderSource.Gear), context.Recognition.AgeReadout, Open(AgeGenderSource.FaceApi));
            stages = stages.Prepend(new AgeGenderVariantPredictor(estimator, variant));
        }

        return new AttributePredictor(stages, usesRecogniserAgeGender: !byVariant || variant.IsRecogniserPass);
    }

    /// <summary>The whole in-process pipeline.</summary>
    public static FaceAnalyzer CreateAnalyzer(
        ModelCatalog catalog, DetectionOptions detection, RecognitionOptions recognition, ImageLimits? limits = null, InferenceTelemetry? telemetry = null, string? model = null,
        string? trainedModel = null, AgeGenderVariant? ageGender = null, ModelFamilies? families = null)
    {
        ArgumentNullException.ThrowIfNull(recognition);
        var recogniser = CreateRecogniser(catalog, recognition, model, trainedModel, families);
        return new FaceAnalyzer(
            CreateDetector(catalog, detection, families),
            recogniser,
            CreateAttributes(catalog, AgeGenderModelOf(recogniser, recognition), recognition, trainedModel, families, ageGender),
            limits,
            telemetry);
    }

    /// <summary>
    /// The model whose pretrained age and gender heads answer beside <paramref name="recogniser"/>: its own model when it
    /// is multi-task (for a projection, its backbone), else <see cref="RecognitionOptions.DefaultModel"/>.
    /// </summary>
    private static string AgeGenderModelOf(IFaceRecogniser recogniser, RecognitionOptions recognition) =>
        recogniser.IsMultiTask ? recogniser.BackboneId : recognition.DefaultModel;

    private static StageContext Context(ModelCatalog catalog, ModelFamilies? families, DetectionOptions? detection, RecognitionOptions? recognition, AttributesOptions? attributes)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new StageContext(catalog, families ?? ModelFamilies.BuiltIn, detection ?? new DetectionOptions(), recognition ?? new RecognitionOptions(), attributes ?? new AttributesOptions());
    }
}
