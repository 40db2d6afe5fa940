using System.CommandLine;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePlatform.Cli.Commands;

/// <summary>The options every in-process command shares, and the pipeline they build.</summary>
internal sealed class InProcessPipeline : IAsyncDisposable
{
    private InProcessPipeline(ModelCatalog catalog, FaceAnalyzer analyzer, InferenceTelemetry telemetry)
    {
        Catalog = catalog;
        Analyzer = analyzer;
        Telemetry = telemetry;
    }

    public ModelCatalog Catalog { get; }

    public FaceAnalyzer Analyzer { get; }

    public InferenceTelemetry Telemetry { get; }

    public static Option<string?> ModelsOption { get; } = new("--models")
    {
        Description = "Model directory (default: Models__Directory, $FACEPLATFORM_MODELS_DIR or <repo>/.data/models)",
    };

    public static Option<string?> RecogniserOption { get; } = new("--model") { Description = "Recogniser model id (default: faceres; e.g. faceapi-recognition, mobileface)" };

    public static Option<string?> ProfileOption { get; } = new("--profile")
    {
        Description = "Profile: accurate (default) or fast (int8 recogniser); explicit options override it",
    };

    public static Option<string> ProviderOption { get; } = new("--provider")
    {
        Description = "Execution provider: cpu or cuda (falls back to cpu)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Inference__Provider") is { Length: > 0 } p ? p : "cpu",
    };

    public static Option<int> ThreadsOption { get; } = new("--threads")
    {
        Description = "ONNX Runtime intra-op threads per model run (0 = all cores)",
        DefaultValueFactory = _ => 1,
    };

    public static Option<int> WorkersOption { get; } = new("--workers") { Description = "Model runs in flight per model (default: cores / threads)" };

    public static Option<int> ParallelOption { get; } = new("--parallel")
    {
        Description = "Photos in flight at once (their faces are batched together)",
        DefaultValueFactory = _ => 2,
    };

    public static Option<int> MinFaceOption { get; } = new("--min-face")
    {
        Description = "Smallest face side in pixels to look for (default: 1/24 of the photo's longer side, at least 20)",
    };

    public static Option<string?> DetectorOption { get; } = new("--detector") { Description = "Detector model: blazeface-back (default), faceapi-ssd or faceapi-tiny-detector" };

    public static Option<float?> MinDetectableOption { get; } = new("--min-detectable") { Description = "Smallest face side in detector input pixels the tiling relies on" };

    public static Option<float?> ScoreOption { get; } = new("--detector-score") { Description = "Detector score threshold" };

    public static Option<float?> MeshScoreOption { get; } = new("--mesh-score") { Description = "Mesh face-presence threshold" };

    public static Option<float?> PaddedViewOption { get; } = new("--padded-view") { Description = "Side of the extra padded whole-photo view as a multiple of the photo's longer side (0: none)" };

    public static Option<string?> TemplateOption { get; } = new("--template") { Description = "Crop template for the recogniser: arcface, human-box or arcface@SCALE" };

    public static Option<bool> UprightOption { get; } = new("--upright") { Description = "Upright crops (no rotation to the eye line)" };

    public static Option<bool> AlignedOption { get; } = new("--aligned") { Description = "Landmark-aligned crops for every recogniser (FaceRes defaults to the detector-box crop)" };

    public static Option<bool> BoxCropOption { get; } = new("--box-crop") { Description = "Human's axis-aligned detector-box crop (x1.4, squared) instead of landmark alignment" };

    public static void AddTo(Command command)
    {
        command.Options.Add(ModelsOption);
        command.Options.Add(RecogniserOption);
        command.Options.Add(ProfileOption);
        command.Options.Add(ProviderOption);
        command.Options.Add(ThreadsOption);
        command.Options.Add(WorkersOption);
        command.Options.Add(ParallelOption);
        command.Options.Add(MinFaceOption);
        command.Options.Add(DetectorOption);
        command.Options.Add(MinDetectableOption);
        command.Options.Add(TemplateOption);
        command.Options.Add(ScoreOption);
        command.Options.Add(MeshScoreOption);
        command.Options.Add(PaddedViewOption);
        command.Options.Add(UprightOption);
        command.Options.Add(BoxCropOption);
        command.Options.Add(AlignedOption);
    }

    public static InProcessPipeline Create(ParseResult parse)
    {
        var directory = ModelDirectory.Resolve(parse.GetValue(ModelsOption) ?? Environment.GetEnvironmentVariable("Models__Directory"));
        var options = new InferenceOptions
        {
            Provider = parse.GetValue(ProviderOption) ?? "cpu",
            IntraOpThreads = parse.GetValue(ThreadsOption),
            Workers = parse.GetValue(WorkersOption),
        };
        var telemetry = new InferenceTelemetry();
        var catalog = ModelCatalog.Open(directory, options, telemetry, NullLoggerFactory.Instance);
        var (_, profile) = new ProfileOptions().Resolve(parse.GetValue(ProfileOption));
        var detection = profile.Apply(new DetectionOptions());
        if (parse.GetValue(MinFaceOption) is > 0 and var minFace)
        {
            // Look for exactly this size everywhere: as floor and as the default of every photo.
            detection.MinFaceSize = minFace;
            detection.MinFaceFraction = 0;
            // facectl is an offline tool: no floor relative to the photo (the services keep theirs, issue 16).
            detection.MinFaceFloorFraction = 0;
        }

        if (parse.GetValue(DetectorOption) is { Length: > 0 } detector)
        {
            detection.Detector = detector;
        }

        if (parse.GetValue(MinDetectableOption) is { } minDetectable)
        {
            detection.MinDetectableInput = minDetectable;
        }

        if (parse.GetValue(ScoreOption) is { } score)
        {
            detection.ScoreThreshold = score;
        }

        if (parse.GetValue(PaddedViewOption) is { } paddedView)
        {
            detection.PaddedView = paddedView;
        }

        if (parse.GetValue(MeshScoreOption) is { } meshScore)
        {
            detection.MeshThreshold = meshScore;
        }

        var recognition = new RecognitionOptions { CropMode = parse.GetValue(BoxCropOption) ? Vision.Alignment.CropMode.DetectorBox : parse.GetValue(UprightOption) ? Vision.Alignment.CropMode.Upright : parse.GetValue(AlignedOption) ? Vision.Alignment.CropMode.Aligned : null };
        var model = parse.GetValue(RecogniserOption) ?? profile.Recogniser;
        if (parse.GetValue(TemplateOption) is { Length: > 0 } template)
        {
            recognition.Templates[string.IsNullOrEmpty(model) ? recognition.DefaultModel : model] = template;
        }

        // As in the services: a model made by facectl train answers age and gender when Attributes__AgeGenderModel names it.
        var trained = Environment.GetEnvironmentVariable("Attributes__AgeGenderModel");
        // ... and the age and gender variant Attributes__AgeGender names (docs/accuracy.md, "Age and gender variants").
        var ageGender = Environment.GetEnvironmentVariable("Attributes__AgeGender") is { Length: > 0 } variant ? Vision.Attributes.AgeGenderVariant.Parse(variant) : null;
        var analyzer = PipelineFactory.CreateAnalyzer(
            catalog, detection, recognition, telemetry: telemetry, model: model, trainedModel: string.IsNullOrEmpty(trained) ? null : trained, ageGender: ageGender);
        return new InProcessPipeline(catalog, analyzer, telemetry);
    }

    /// <summary>Image files under the given paths (folders recursively, sorted), and files named directly.</summary>
    public static List<string> ExpandPaths(IEnumerable<string> paths)
    {
        string[] extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".ico", ".tif", ".tiff"];
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                    .Order(StringComparer.Ordinal));
            }
            else
            {
                files.Add(path);
            }
        }

        return files;
    }

    public async ValueTask DisposeAsync()
    {
        await Catalog.DisposeAsync();
        Telemetry.Dispose();
    }
}
