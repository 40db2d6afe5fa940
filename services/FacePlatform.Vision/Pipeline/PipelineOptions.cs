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

/// <summary>Builds the pipeline's parts from a <see cref="ModelCatalog"/>.</summary>
public static class PipelineFactory
{
    /// <summary>The detector (with the mesh when configured and present).</summary>
    public static FaceDetector CreateDetector(ModelCatalog catalog, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new FaceDetector(catalog.Get(options.Detector), catalog.Find(options.Mesh), options);
    }

    /// <summary>
    /// The recogniser <paramref name="model"/> (default: <see cref="RecognitionOptions.DefaultModel"/>), with the trained
    /// heads <paramref name="trainedModel"/> when they were trained on it (other recognisers are returned as they are).
    /// A model made by <c>facectl train</c> with a projection head is the recogniser of its own: its backbone's crop
    /// and pass, and the projection as the embedding.
    /// </summary>
    public static FaceRecogniser CreateRecogniser(ModelCatalog catalog, RecognitionOptions options, string? model = null, string? trainedModel = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        var name = string.IsNullOrEmpty(model) ? options.DefaultModel : model;
        TrainedHeads? projection = null;
        if (string.Equals(catalog.Manifest[name].Task, TrainedHeads.Task, StringComparison.Ordinal))
        {
            projection = TrainedHeads.Open(catalog, name);
            if (!projection.HasProjection)
            {
                throw new ArgumentException($"Trained model '{name}' has no projection head, so it is not a recogniser.", nameof(model));
            }

            name = projection.Backbone;
        }

        var entry = catalog.Manifest[name];
        if (!entry.Task.Contains("face-embedding", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Model '{name}' is a {entry.Task} model, not a recogniser.", nameof(model));
        }

        var heads = string.IsNullOrEmpty(trainedModel) ? null : TrainedHeads.Open(catalog, trainedModel);
        return new FaceRecogniser(
            catalog.Get(name), options.TemplateFor(name), options.CropModeFor(name), options.AgeReadout, heads?.Backbone == name ? heads : null, projection);
    }

    /// <summary>
    /// The attribute models present in the catalogue; age and gender from <paramref name="ageGenderModel"/>, or from
    /// the trained heads <paramref name="trainedModel"/> on top of the recogniser they were trained on; the pretrained
    /// models' answers by <paramref name="variant"/> (default: FaceRes as its embedding pass gives them).
    /// </summary>
    public static AttributePredictor CreateAttributes(
        ModelCatalog catalog, string ageGenderModel = "faceres", AgeReadout readout = AgeReadout.Expected, RecognitionOptions? recognition = null, string? trainedModel = null,
        AgeGenderVariant? variant = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        FaceRecogniser? trained = null;
        if (!string.IsNullOrEmpty(trainedModel))
        {
            var heads = TrainedHeads.Open(catalog, trainedModel);
            trained = CreateRecogniser(catalog, recognition ?? new RecognitionOptions(), heads.Backbone, trainedModel);
        }

        variant ??= AgeGenderVariant.Default;
        var gear = AgeGenderEstimator.SourcesOf(variant).Contains(AgeGenderSource.Gear) ? catalog.Find("gear") : null;
        return new AttributePredictor(
            catalog.Find(ageGenderModel), catalog.Find("emotion"), catalog.Find("antispoof"), catalog.Find("liveness"), readout, trained, gear, variant);
    }

    /// <summary>The whole in-process pipeline.</summary>
    public static FaceAnalyzer CreateAnalyzer(
        ModelCatalog catalog, DetectionOptions detection, RecognitionOptions recognition, ImageLimits? limits = null, InferenceTelemetry? telemetry = null, string? model = null,
        string? trainedModel = null, AgeGenderVariant? ageGender = null)
    {
        ArgumentNullException.ThrowIfNull(recognition);
        var recogniser = CreateRecogniser(catalog, recognition, model, trainedModel);
        return new FaceAnalyzer(
            CreateDetector(catalog, detection),
            recogniser,
            CreateAttributes(catalog, recogniser.IsMultiTask ? recogniser.BackboneId : recognition.DefaultModel, recognition.AgeReadout, recognition, trainedModel, ageGender),
            limits,
            telemetry);
    }
}
