using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Vision.Pipeline;

/// <summary>Makes the detector of one manifest entry.</summary>
public delegate IFaceDetector DetectorFactory(ModelEntry model, StageContext context);

/// <summary>Makes the recogniser of one manifest entry.</summary>
public delegate IFaceRecogniser RecogniserFactory(ModelEntry model, StageContext context);

/// <summary>Makes the attribute predictor of one manifest entry.</summary>
public delegate IFaceAttributePredictor AttributeFactory(ModelEntry model, StageContext context);

/// <summary>
/// What a family's factories may use: the open models, the settings, and the registry itself, so that a stage can be
/// built on other stages (a recogniser that wraps another, an ensemble of attribute predictors).
/// </summary>
/// <param name="Catalog">The models of the model directory.</param>
/// <param name="Families">The registry the stage was found in.</param>
/// <param name="Detection">Detection settings.</param>
/// <param name="Recognition">Recognition settings (crop overrides, age readout).</param>
/// <param name="Attributes">Attribute settings (trained age and gender heads).</param>
public sealed record StageContext(ModelCatalog Catalog, ModelFamilies Families, DetectionOptions Detection, RecognitionOptions Recognition, AttributesOptions Attributes)
{
    /// <summary>The runner of model <paramref name="name"/>.</summary>
    public ModelRunner Runner(string name) => Catalog.Get(name);

    /// <summary>The recogniser <paramref name="name"/>, as the registry builds it (for a stage that wraps it).</summary>
    public IFaceRecogniser Recogniser(string name) => Families.CreateRecogniser(this, name);

    /// <summary>The attribute predictor <paramref name="name"/>, as the registry builds it (for a stage that combines several).</summary>
    public IFaceAttributePredictor AttributePredictor(string name) => Families.CreateAttributes(this, name);

    /// <summary>The family-specific settings of <paramref name="model"/> from its manifest entry (empty when none).</summary>
    public static IReadOnlyDictionary<string, string> ParametersOf(ModelEntry model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Stage?.Parameters ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }
}

/// <summary>
/// One model family: the classes that serve its models as pipeline stages, and the crop its recognisers and attribute
/// models were trained on. A family serves one or more stage kinds (FaceRes is both a recogniser and an age and gender
/// predictor); kinds it lacks are null.
/// </summary>
/// <param name="Name">Family id, as <see cref="ModelStage.Family"/> names it in the manifest.</param>
/// <param name="Template">The face framing its models were trained on, unless the manifest entry says otherwise.</param>
/// <param name="Crop">How its recognisers' crops are cut, unless the manifest entry says otherwise.</param>
/// <param name="Detector">Makes a detector, or null.</param>
/// <param name="Recogniser">Makes a recogniser, or null.</param>
/// <param name="Attributes">Makes an attribute predictor, or null.</param>
public sealed record ModelFamily(
    string Name,
    AlignmentTemplate? Template = null,
    CropMode? Crop = null,
    DetectorFactory? Detector = null,
    RecogniserFactory? Recogniser = null,
    AttributeFactory? Attributes = null);

/// <summary>
/// The registry that binds a manifest entry to the class that serves it: the entry's family
/// (<see cref="ModelStage.Family"/>, or for manifests written before it existed the family its task and name imply)
/// names a <see cref="ModelFamily"/>, whose factory builds the stage from the entry (its input contract, crop template,
/// parameters). Adding a model family is a manifest entry plus one class and its line in <see cref="BuiltIn"/>
/// (docs/models.md, "Adding a model family").
/// </summary>
public sealed class ModelFamilies
{
    private readonly Dictionary<string, ModelFamily> _families;

    /// <summary>Creates a registry of <paramref name="families"/> (a later family of the same name replaces an earlier one).</summary>
    public ModelFamilies(IEnumerable<ModelFamily> families)
    {
        ArgumentNullException.ThrowIfNull(families);
        _families = new Dictionary<string, ModelFamily>(StringComparer.Ordinal);
        foreach (var family in families)
        {
            _families[family.Name] = family;
        }
    }

    /// <summary>The families this product serves.</summary>
    public static ModelFamilies BuiltIn { get; } = new(
    [
        // Detection: BlazeFace (and MediaPipe's short/full-range detectors, same decoder) over tiles, verified by the mesh.
        new("blazeface", Detector: (m, c) => new FaceDetector(c.Runner(m.Name), c.Catalog.Find(c.Detection.Mesh), c.Detection)),
        // The face mesh and iris models are parts of other stages (the detector's verifier), not stages of their own.
        new("facemesh"),
        new("iris"),
        // Recognition: FaceRes (multi-task: also age and gender) on Human's detector-box crop; ArcFace-style
        // recognisers (MobileFaceNet, MobileFace, operator models) on landmark-aligned ArcFace crops.
        new("faceres", AlignmentTemplate.HumanBox, CropMode.DetectorBox, Recogniser: CreateFaceRecogniser,
            Attributes: (m, c) => new FaceResAgeGenderPredictor(c.Runner(m.Name), c.Recognition.AgeReadout)),
        new("arcface", AlignmentTemplate.ArcFace, CropMode.Aligned, Recogniser: CreateFaceRecogniser),
        // Heads made by facectl train on a recogniser's embedding: age and gender from that recogniser's pass; a
        // projection head is a recogniser of its own (its backbone's crop and pass, the projection as the embedding).
        new(TrainedHeads.Task, Recogniser: CreateProjectionRecogniser, Attributes: (m, c) =>
        {
            var heads = TrainedHeads.Open(c.Catalog, m.Name);
            return new RecogniserAgeGenderPredictor(PipelineFactory.CreateRecogniser(c.Catalog, c.Recognition, heads.Backbone, m.Name, c.Families));
        }),
        new("gear", AlignmentTemplate.HumanBox),
        // face-api.js's age-gender net: served through Attributes:AgeGender (faceapi, in ensembles or AGE/GENDER mixes);
        // as a stage of its own it is the plain faceapi variant on its detector-box crop.
        new("faceapi-age-gender", AlignmentTemplate.HumanBox, Attributes: (m, c) =>
            new AgeGenderVariantPredictor(new AgeGenderEstimator(null, null, faceApi: c.Runner(m.Name)), new AgeGenderVariant(AgeGenderSource.FaceApi))),
        new("emotion", AlignmentTemplate.HumanBox, Attributes: (m, c) => new EmotionPredictor(c.Runner(m.Name))),
        new("antispoof", AlignmentTemplate.HumanBox, Attributes: (m, c) => new SpoofScorePredictor(c.Runner(m.Name), live: false)),
        new("liveness", AlignmentTemplate.HumanBox, Attributes: (m, c) => new SpoofScorePredictor(c.Runner(m.Name), live: true)),
        // face-api.js (issue 17): its two detectors, each with the family's 68-point net for the five alignment points,
        // and its ResNet-34 descriptor with face-api's own landmark alignment. The landmark nets are parts of those
        // stages; the entry's stage parameter "landmarks" names which (default faceapi-landmarks68).
        new("faceapi-ssd", Detector: (m, c) => new FaceApiDetector(c.Runner(m.Name), c.Catalog.Find(FaceApiLandmarksOf(m)), FaceApiDetectorKind.Ssd, c.Detection)),
        new("faceapi-tiny-detector", Detector: (m, c) => new FaceApiDetector(c.Runner(m.Name), c.Catalog.Find(FaceApiLandmarksOf(m)), FaceApiDetectorKind.Tiny, c.Detection)),
        new("faceapi-recognition", AlignmentTemplate.HumanBox, CropMode.DetectorBox,
            Recogniser: (m, c) => new FaceApiRecogniser(c.Runner(m.Name), c.Runner(FaceApiLandmarksOf(m)), c.Detection.CropScale)),
        new("faceapi-landmarks68"),
        new("faceapi-landmarks68-tiny"),
    ]);

    /// <summary>The registered families.</summary>
    public IReadOnlyCollection<ModelFamily> Families => _families.Values;

    /// <summary>This registry with <paramref name="family"/> added (or replacing the one of its name).</summary>
    public ModelFamilies With(ModelFamily family) => new(_families.Values.Append(family));

    /// <summary>
    /// The family of <paramref name="model"/>: <see cref="ModelStage.Family"/>, else what its task and name imply (the
    /// rule of manifests written before the field existed).
    /// </summary>
    public static string FamilyOf(ModelEntry model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Stage is { Family.Length: > 0 } stage)
        {
            return stage.Family;
        }

        return ModelStage.Implied(model.Name, model.Task).Family;
    }

    /// <summary>The family of <paramref name="model"/>, or null when none of that name is registered.</summary>
    public ModelFamily? FamilyFor(ModelEntry model) => _families.GetValueOrDefault(FamilyOf(model));

    /// <summary>True when <paramref name="model"/>'s family serves it as a recogniser.</summary>
    public bool IsRecogniser(ModelEntry model) => FamilyFor(model)?.Recogniser is not null;

    /// <summary>True when <paramref name="model"/>'s family serves it as an attribute predictor.</summary>
    public bool IsAttributePredictor(ModelEntry model) => FamilyFor(model)?.Attributes is not null;

    /// <summary>The detector <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The manifest has no such model.</exception>
    /// <exception cref="ArgumentException">Its family serves no detector.</exception>
    public IFaceDetector CreateDetector(StageContext context, string name)
    {
        var (model, family) = Resolve(context, name);
        return family?.Detector is { } create ? create(model, context) : throw NotA(model, "detector");
    }

    /// <summary>The recogniser <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The manifest has no such model.</exception>
    /// <exception cref="ArgumentException">Its family serves no recogniser.</exception>
    public IFaceRecogniser CreateRecogniser(StageContext context, string name)
    {
        var (model, family) = Resolve(context, name);
        return family?.Recogniser is { } create ? create(model, context) : throw NotA(model, "recogniser");
    }

    /// <summary>The attribute predictor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The manifest has no such model.</exception>
    /// <exception cref="ArgumentException">Its family serves no attribute predictor.</exception>
    public IFaceAttributePredictor CreateAttributes(StageContext context, string name)
    {
        var (model, family) = Resolve(context, name);
        return family?.Attributes is { } create ? create(model, context) : throw NotA(model, "attribute predictor");
    }

    /// <summary>
    /// The framing of <paramref name="model"/>'s crops: the configured one (<see cref="RecognitionOptions.Templates"/>),
    /// else the manifest entry's, else its family's, else the rule by name.
    /// </summary>
    public AlignmentTemplate TemplateFor(ModelEntry model, RecognitionOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Templates.ContainsKey(model.Name))
        {
            return options.TemplateFor(model.Name);
        }

        return model.Stage?.Template is { Length: > 0 } template ? AlignmentTemplate.Parse(template)
            : FamilyFor(model)?.Template ?? options.TemplateFor(model.Name);
    }

    /// <summary>
    /// How <paramref name="model"/>'s crops are cut: the configured mode (<see cref="RecognitionOptions.CropMode"/>), else
    /// the manifest entry's, else its family's, else the rule by name.
    /// </summary>
    public CropMode CropModeFor(ModelEntry model, RecognitionOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (options.CropMode is { } configured)
        {
            return configured;
        }

        return model.Stage?.Crop is { Length: > 0 } crop ? ParseCrop(model, crop) : FamilyFor(model)?.Crop ?? options.CropModeFor(model.Name);
    }

    private static CropMode ParseCrop(ModelEntry model, string crop) => crop switch
    {
        "aligned" => CropMode.Aligned,
        "upright" => CropMode.Upright,
        "detector-box" => CropMode.DetectorBox,
        _ => throw new InvalidDataException($"Model '{model.Name}': stage.crop must be aligned, upright or detector-box, not '{crop}'."),
    };

    /// <summary>The 68-point landmark model a face-api stage runs: its stage parameter <c>landmarks</c>, else <c>faceapi-landmarks68</c>.</summary>
    private static string FaceApiLandmarksOf(ModelEntry model) =>
        StageContext.ParametersOf(model).GetValueOrDefault("landmarks") is { Length: > 0 } name ? name : "faceapi-landmarks68";

    private static FaceRecogniser CreateFaceRecogniser(ModelEntry model, StageContext context) => CreateFaceRecogniser(model, context, null);

    private static FaceRecogniser CreateProjectionRecogniser(ModelEntry model, StageContext context)
    {
        var projection = TrainedHeads.Open(context.Catalog, model.Name);
        if (!projection.HasProjection)
        {
            throw new ArgumentException($"Trained model '{model.Name}' has no projection head, so it is not a recogniser.", nameof(model));
        }

        var backbone = context.Catalog.Manifest[projection.Backbone];
        if (context.Families.FamilyFor(backbone)?.Recogniser is null)
        {
            throw NotA(backbone, "recogniser");
        }

        return CreateFaceRecogniser(backbone, context, projection);
    }

    private static FaceRecogniser CreateFaceRecogniser(ModelEntry model, StageContext context, TrainedHeads? projection)
    {
        // Trained heads answer age and gender in place of the model's own, on the recogniser they were trained on only.
        var trained = context.Attributes.AgeGenderModel;
        var heads = string.IsNullOrEmpty(trained) ? null : TrainedHeads.Open(context.Catalog, trained);
        var families = context.Families;
        return new FaceRecogniser(
            context.Runner(model.Name),
            families.TemplateFor(model, context.Recognition),
            families.CropModeFor(model, context.Recognition),
            context.Recognition.AgeReadout,
            heads?.Backbone == model.Name ? heads : null,
            projection);
    }

    private (ModelEntry Model, ModelFamily? Family) Resolve(StageContext context, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var model = context.Catalog.Manifest[name];
        return (model, FamilyFor(model));
    }

    private static ArgumentException NotA(ModelEntry model, string stage) =>
        new($"Model '{model.Name}' is a {model.Task} model of family '{FamilyOf(model)}', which serves no {stage}.");
}
