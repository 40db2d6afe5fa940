using System.Drawing;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Vision.Tests;

/// <summary>
/// The seam between the pipeline and its model families (docs/models.md, "Adding a model family"): which family a
/// manifest entry binds to, which crop contract wins, how attribute stages are merged, and that the one pipeline class
/// runs whatever stages it is given. Fakes stand in for models: this is the pipeline's own logic.
/// </summary>
public sealed class StageSeamTests
{
    [Theory]
    [InlineData("blazeface-back", "face-detection", "blazeface")]
    [InlineData("facemesh-detection-full", "face-detection", "blazeface")]
    [InlineData("facemesh", "face-landmarks", "facemesh")]
    [InlineData("faceres", "face-embedding+age+gender", "faceres")]
    [InlineData("faceres-deep", "face-embedding+age+gender", "faceres")]
    [InlineData("mobilefacenet", "face-embedding", "arcface")]
    [InlineData("operator-arcface-r100", "face-embedding", "arcface")]
    [InlineData("gear", "age+gender+race", "gear")]
    [InlineData("emotion", "emotion", "emotion")]
    [InlineData("antispoof", "anti-spoofing", "antispoof")]
    [InlineData("liveness", "liveness", "liveness")]
    [InlineData("my-heads", "trained-heads", "trained-heads")]
    public void A_manifest_entry_without_a_stage_gets_the_family_its_task_and_name_imply(string name, string task, string family)
    {
        Assert.Equal(family, ModelFamilies.FamilyOf(Entry(name, task)));
    }

    [Fact]
    public void The_manifest_stage_names_the_family_whatever_the_task_and_name()
    {
        var entry = Entry("faceres-ssd", "face-detection", new ModelStage("ssd-mobilenet"));
        Assert.Equal("ssd-mobilenet", ModelFamilies.FamilyOf(entry));
        // Not registered: no stage serves it, and asking for one says so instead of falling back to BlazeFace.
        Assert.Null(ModelFamilies.BuiltIn.FamilyFor(entry));
        Assert.False(ModelFamilies.BuiltIn.IsRecogniser(entry));
    }

    [Fact]
    public void Built_in_families_serve_the_stages_of_todays_models()
    {
        var families = ModelFamilies.BuiltIn;
        Assert.NotNull(families.FamilyFor(Entry("blazeface-back", "face-detection"))!.Detector);
        Assert.True(families.IsRecogniser(Entry("faceres", "face-embedding+age+gender")));
        Assert.True(families.IsAttributePredictor(Entry("faceres", "face-embedding+age+gender")));
        Assert.True(families.IsRecogniser(Entry("mobilefacenet", "face-embedding")));
        Assert.False(families.IsAttributePredictor(Entry("mobilefacenet", "face-embedding")));
        // Trained heads serve a recogniser too: one with a projection head is the recogniser of its own (the factory
        // refuses heads without one; the embedding service also requires it in Recognition:ProjectionModels).
        Assert.True(families.IsRecogniser(Entry("my-heads", "trained-heads")));
        Assert.True(families.IsAttributePredictor(Entry("my-heads", "trained-heads")));
        foreach (var (name, task) in new[] { ("emotion", "emotion"), ("antispoof", "anti-spoofing"), ("liveness", "liveness") })
        {
            Assert.True(families.IsAttributePredictor(Entry(name, task)), name);
        }

        // face-api.js models are families of their own, whatever their task says: its two detectors and its
        // recogniser are stages; the 68-point nets are parts of those stages, no stage of their own.
        foreach (var name in new[] { "faceapi-ssd", "faceapi-tiny-detector" })
        {
            Assert.Equal(name, ModelFamilies.FamilyOf(Entry(name, "face-detection")));
            Assert.NotNull(families.FamilyFor(Entry(name, "face-detection"))!.Detector);
        }

        Assert.Equal("faceapi-recognition", ModelFamilies.FamilyOf(Entry("faceapi-recognition", "face-embedding")));
        Assert.True(families.IsRecogniser(Entry("faceapi-recognition", "face-embedding")));
        Assert.False(families.IsAttributePredictor(Entry("faceapi-recognition", "face-embedding")));
        foreach (var name in new[] { "faceapi-landmarks68", "faceapi-landmarks68-tiny" })
        {
            var family = families.FamilyFor(Entry(name, "face-landmarks"));
            Assert.NotNull(family);
            Assert.Null(family.Detector);
            Assert.Null(family.Recogniser);
        }
    }

    [Fact]
    public void Face_apis_age_gender_net_is_a_family_that_serves_age_and_gender_only()
    {
        var entry = Entry("faceapi-age-gender", "age+gender", new ModelStage("faceapi-age-gender"));

        Assert.Equal("faceapi-age-gender", ModelFamilies.FamilyOf(entry));
        Assert.True(ModelFamilies.BuiltIn.IsAttributePredictor(entry));
        Assert.False(ModelFamilies.BuiltIn.IsRecogniser(entry));
        Assert.Null(ModelFamilies.BuiltIn.FamilyFor(entry)!.Detector);
    }

    [Fact]
    public void A_new_family_is_one_registration_and_replaces_nothing_else()
    {
        var entry = Entry("resnet34-dlib", "face-embedding", new ModelStage("dlib-resnet", "arcface", "aligned"));
        var families = ModelFamilies.BuiltIn.With(new ModelFamily("dlib-resnet", AlignmentTemplate.ArcFace, CropMode.Aligned, Recogniser: (m, c) => throw new NotSupportedException()));
        Assert.True(families.IsRecogniser(entry));
        Assert.False(ModelFamilies.BuiltIn.IsRecogniser(entry));
        Assert.Equal(ModelFamilies.BuiltIn.Families.Count + 1, families.Families.Count);
        Assert.True(families.IsRecogniser(Entry("faceres", "face-embedding+age+gender")));
    }

    [Fact]
    public void The_crop_contract_comes_from_configuration_then_manifest_then_family()
    {
        var families = ModelFamilies.BuiltIn;
        var options = new RecognitionOptions();
        var faceres = Entry("faceres", "face-embedding+age+gender");
        var arcface = Entry("mobilefacenet", "face-embedding");
        // The family's contract is what the name rule gave before the seam, for every model of today's manifest.
        Assert.Equal(options.TemplateFor("faceres"), families.TemplateFor(faceres, options));
        Assert.Equal(options.CropModeFor("faceres"), families.CropModeFor(faceres, options));
        Assert.Equal(options.TemplateFor("mobilefacenet"), families.TemplateFor(arcface, options));
        Assert.Equal(options.CropModeFor("mobilefacenet"), families.CropModeFor(arcface, options));
        Assert.Equal(AlignmentTemplate.HumanBox, families.TemplateFor(faceres, options));
        Assert.Equal(CropMode.DetectorBox, families.CropModeFor(faceres, options));

        // The manifest entry overrides the family ...
        var declared = Entry("faceres-aligned", "face-embedding+age+gender", new ModelStage("faceres", "arcface@0.8", "upright"));
        Assert.Equal(AlignmentTemplate.Parse("arcface@0.8"), families.TemplateFor(declared, options));
        Assert.Equal(CropMode.Upright, families.CropModeFor(declared, options));

        // ... and configuration overrides both.
        var configured = new RecognitionOptions { CropMode = CropMode.Aligned };
        configured.Templates["faceres-aligned"] = "human-box";
        Assert.Equal(AlignmentTemplate.HumanBox, families.TemplateFor(declared, configured));
        Assert.Equal(CropMode.Aligned, families.CropModeFor(declared, configured));

        var broken = Entry("x", "face-embedding", new ModelStage("arcface", Crop: "sideways"));
        Assert.Throws<InvalidDataException>(() => families.CropModeFor(broken, options));
    }

    [Fact]
    public async Task Attribute_stages_merge_in_order_and_the_first_age_and_gender_source_wins()
    {
        var first = new FakeAttributes("first", AttributeKinds.Age | AttributeKinds.Gender, new FaceAttributes(30, "male", 0.9f, null, null, null, ["first"]));
        var second = new FakeAttributes("second", AttributeKinds.Age | AttributeKinds.Gender, new FaceAttributes(60, "female", 0.8f, null, null, null, ["second"]));
        var emotion = new FakeAttributes("emotion", AttributeKinds.Emotion, new FaceAttributes(null, null, null, [new EmotionScore("happy", 1)], null, null, ["emotion"]));
        var spoof = new FakeAttributes("antispoof", AttributeKinds.Liveness, new FaceAttributes(null, null, null, null, 0.7f, null, ["antispoof"]));
        var live = new FakeAttributes("liveness", AttributeKinds.Liveness, new FaceAttributes(null, null, null, null, null, 0.6f, ["liveness"]));
        var predictor = new AttributePredictor([first, second, emotion, spoof, live]);
        using var crop = RgbImage.Wrap(new byte[4 * 4 * 3], 4, 4);

        var all = Assert.Single(await predictor.PredictAsync([new FramedCrop(crop, AlignmentTemplate.HumanBox)], AttributeKinds.All));
        Assert.Equal(30, all.Age);
        Assert.Equal("male", all.Gender);
        Assert.Equal("happy", Assert.Single(all.Emotions!).Label);
        // Both stages of the one Liveness kind answer: anti-spoofing gives Real, liveness gives Live.
        Assert.Equal(0.7f, all.Real);
        Assert.Equal(0.6f, all.Live);
        Assert.Equal(["first", "emotion", "antispoof", "liveness"], all.ModelIds);
    }

    [Fact]
    public async Task Known_age_and_gender_run_no_age_and_gender_stage_and_include_masks_the_rest()
    {
        var ageGender = new FakeAttributes("faceres", AttributeKinds.Age | AttributeKinds.Gender, new FaceAttributes(30, "male", 0.9f, null, null, null, ["faceres"]));
        var emotion = new FakeAttributes("emotion", AttributeKinds.Emotion, new FaceAttributes(null, null, null, [new EmotionScore("sad", 1)], null, null, ["emotion"]));
        var predictor = new AttributePredictor([ageGender, emotion]);
        using var crop = RgbImage.Wrap(new byte[4 * 4 * 3], 4, 4);
        var crops = new[] { new FramedCrop(crop, AlignmentTemplate.HumanBox) };

        var known = Assert.Single(await predictor.PredictAsync(crops, AttributeKinds.Age | AttributeKinds.Emotion, [new AgeGender(44, 0.2f)]));
        Assert.Equal(0, ageGender.Calls);
        Assert.Equal(44, known.Age);
        Assert.Null(known.Gender);
        Assert.Equal(["emotion"], known.ModelIds);

        var genderOnly = Assert.Single(await predictor.PredictAsync(crops, AttributeKinds.Gender));
        Assert.Equal(1, ageGender.Calls);
        // Emotion was not asked for this time: not run again.
        Assert.Equal(1, emotion.Calls);
        Assert.Null(genderOnly.Age);
        Assert.Equal("male", genderOnly.Gender);
        Assert.Null(genderOnly.Emotions);
        Assert.Equal(["faceres"], genderOnly.ModelIds);
    }

    [Fact]
    public async Task The_pipeline_runs_the_stages_it_is_given_and_a_request_may_choose_the_recogniser()
    {
        var face = new FaceDetection(
            new RectangleF(8, 8, 32, 32), 0.9f, 1, new FaceLandmarks(new(18, 20), new(30, 20), new(24, 27), new(19, 33), new(29, 33)), new RectangleF(8, 8, 32, 32), new Rectangle(4, 4, 40, 40));
        var detector = new FakeDetector([face, face with { Box = new RectangleF(0, 0, 10, 10) }]);
        var own = new FakeRecogniser("own", new AgeGender(25, 0.9f));
        var chosen = new FakeRecogniser("chosen", null);
        var analyzer = new FaceAnalyzer(detector, own, attributes: null);
        using var image = RgbImage.Wrap(new byte[48 * 48 * 3], 48, 48);

        var withOwn = await analyzer.AnalyzeAsync(image, new AnalysisRequest { Attributes = AttributeKinds.Age | AttributeKinds.Gender, KeepCrops = true });
        Assert.Equal(2, withOwn.Faces.Count);
        Assert.Equal(1, own.Batches);
        Assert.Equal("own", withOwn.Faces[0].Embedding!.ModelId);
        // No attribute stages: age and gender come from the multi-task recogniser's pass, credited to its models.
        Assert.Equal(25, withOwn.Faces[0].Attributes!.Age);
        Assert.Equal(["own"], withOwn.Faces[0].Attributes!.ModelIds);
        Assert.Equal(16, withOwn.Faces[0].CropSize);
        Assert.Equal(16 * 16 * 3, withOwn.Faces[0].Crop!.Length);

        var withChosen = await analyzer.AnalyzeAsync(image, new AnalysisRequest { Recogniser = chosen, Attributes = AttributeKinds.Age });
        Assert.Equal(1, own.Batches);
        Assert.Equal(1, chosen.Batches);
        Assert.Equal("chosen", withChosen.Faces[1].Embedding!.ModelId);
        Assert.Null(withChosen.Faces[1].Attributes);
        Assert.Null(withChosen.Faces[1].Crop);

        var detectOnly = await analyzer.AnalyzeAsync(image, new AnalysisRequest { Embed = false, Attributes = AttributeKinds.None });
        Assert.Equal(1, own.Batches);
        Assert.Null(detectOnly.Faces[0].Embedding);
        Assert.Equal(3, detector.Calls);
    }

    private static ModelEntry Entry(string name, string task, ModelStage? stage = null) =>
        new(name, task, "test", name + ".onnx", "00", new ModelSource("MIT"), new ModelInput("input", [-1, 112, 112, 3], "NHWC", "RGB", [0, 1], "test", 1, 0), [], Stage: stage);

    private sealed class FakeAttributes(string id, AttributeKinds answers, FaceAttributes answer) : IFaceAttributePredictor
    {
        public int Calls { get; private set; }

        public AttributeKinds Answers => answers;

        public IReadOnlyList<string> ModelIds { get; } = [id];

        public Task<IReadOnlyList<FaceAttributes>> PredictAsync(IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Task.FromResult<IReadOnlyList<FaceAttributes>>([.. crops.Select(_ => answer)]);
        }
    }

    private sealed class FakeDetector(IReadOnlyList<FaceDetection> faces) : IFaceDetector
    {
        public int Calls { get; private set; }

        public IEnumerable<string> ModelIds => ["fake-detector"];

        public DetectionOptions Options { get; } = new();

        public Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, int maxFaces = 0, int minFaceSize = 0, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Task.FromResult(faces);
        }
    }

    private sealed class FakeRecogniser(string id, AgeGender? ageGender) : IFaceRecogniser
    {
        public int Batches { get; private set; }

        public string ModelId => id;

        public IReadOnlyList<string> ModelIds => [id];

        public int InputSize => 16;

        public AlignmentTemplate Template => AlignmentTemplate.ArcFace;

        public CropMode Mode => CropMode.Aligned;

        public bool IsMultiTask => ageGender is not null;

        public IReadOnlyList<string> AgeGenderModelIds => [id];

        public ModelCalibration? Calibration => null;

        public RgbImage Align(RgbImage image, FaceDetection face) => RgbImage.Wrap(new byte[16 * 16 * 3], 16, 16);

        public Task<IReadOnlyList<Recognition.Recognition>> EmbedAsync(IReadOnlyList<RgbImage> crops, CancellationToken cancellationToken = default)
        {
            Batches++;
            return Task.FromResult<IReadOnlyList<Recognition.Recognition>>([.. crops.Select(_ => new Recognition.Recognition(new FaceEmbedding(id, [1, 0]), ageGender))]);
        }
    }
}
