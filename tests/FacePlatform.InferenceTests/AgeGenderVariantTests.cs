using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.InferenceTests;

/// <summary>The age and gender variants (Attributes__AgeGender) on real models and a real chip of utkface-dev.</summary>
[Collection(PipelineCollection.Name)]
public sealed class AgeGenderVariantTests(PipelineFixture pipeline)
{
    private const string Chip = "80_0_0_20170111224036667.jpg.chip.jpg";

    [Fact]
    public async Task The_faceres_variant_at_scale_1_equals_the_recognisers_own_pass()
    {
        var (crop, recognised) = await CropAsync();
        using var image = crop.Image;
        var estimator = new AgeGenderEstimator(pipeline.Catalog.Get(pipeline.Analyzer.Recogniser.ModelId), pipeline.Catalog.Find("gear"));

        var estimated = (await estimator.EstimateAsync([crop], AgeGenderVariant.Default))[0];

        Assert.Equal(recognised.Age, estimated.Age, 0.05f);
        Assert.Equal(recognised.MaleProbability, estimated.MaleProbability, 0.005f);
    }

    [Theory]
    [InlineData("faceres+flip")]
    [InlineData("gear+flip")]
    [InlineData("ensemble+flip@0.85")]
    [InlineData("faceapi+flip")]
    [InlineData("faceres+gear+faceapi+flip@1.2")]
    public async Task A_flip_variant_gives_the_same_answer_for_a_crop_and_its_mirror_image(string text)
    {
        var (crop, _) = await CropAsync();
        using var image = crop.Image;
        using var mirror = Mirror(image);
        var estimator = new AgeGenderEstimator(
            pipeline.Catalog.Get(pipeline.Analyzer.Recogniser.ModelId), pipeline.Catalog.Find("gear"), faceApi: pipeline.Catalog.Get(AgeGenderEstimator.FaceApiModel));
        var variant = AgeGenderVariant.Parse(text);

        var answer = (await estimator.EstimateAsync([crop], variant))[0];
        var mirrored = (await estimator.EstimateAsync([crop with { Image = mirror }], variant))[0];

        Assert.Equal(answer.Age, mirrored.Age, 0.05f);
        Assert.Equal(answer.MaleProbability, mirrored.MaleProbability, 0.005f);
    }

    [Fact]
    public async Task A_gear_variant_is_computed_by_the_attribute_stage_even_when_the_recogniser_gave_age_and_gender()
    {
        var (crop, recognised) = await CropAsync();
        using var image = crop.Image;
        var predictor = PipelineFactory.CreateAttributes(pipeline.Catalog, variant: AgeGenderVariant.Parse("gear"));

        var answer = (await predictor.PredictAsync([crop], AttributeKinds.Age | AttributeKinds.Gender, [recognised]))[0];

        Assert.Contains("gear", answer.ModelIds);
        Assert.DoesNotContain("faceres", answer.ModelIds);
        Assert.NotNull(answer.Age);
        // GEAR's expected age lies between its first and last group weights (15 and 65 years).
        Assert.InRange(answer.Age.Value, 15f, 65f);
        Assert.NotEqual(recognised.Age, answer.Age.Value);
    }

    // CompreFace's sample photos carry age and gender labels (annotations.py PERSONS), and face-api.js's net was
    // trained on UTKFace, not on them: person C is a man of 30, person A a woman of 30.
    [Theory]
    [InlineData("009_C.jpg", "male", 30)]
    [InlineData("001_A.jpg", "female", 30)]
    public async Task The_faceapi_variant_answers_a_labelled_photos_gender_and_an_age_near_its_label(string file, string gender, int age)
    {
        using var photo = ImageDecoder.Decode(await File.ReadAllBytesAsync(Path.Combine(Paths.Faces, "compreface", "sample_images", file)));
        var face = Assert.Single(await pipeline.Analyzer.Detector.DetectAsync(photo));
        using var crop = pipeline.Analyzer.Recogniser.Align(photo, face);
        var predictor = PipelineFactory.CreateAttributes(pipeline.Catalog, variant: AgeGenderVariant.Parse("faceapi"));

        var answer = (await predictor.PredictAsync([new FramedCrop(crop, pipeline.Analyzer.Recogniser.Template)], AttributeKinds.Age | AttributeKinds.Gender))[0];

        Assert.Equal(["faceapi-age-gender"], answer.ModelIds);
        Assert.Equal(gender, answer.Gender);
        Assert.NotNull(answer.Age);
        // "Near": within 10 years, about twice face-api's measured MAE on adults of 20-39 (docs/accuracy.md).
        Assert.InRange(answer.Age.Value, age - 10f, age + 10f);
    }

    [Fact]
    public async Task A_mix_serves_the_age_of_its_first_part_and_the_gender_of_its_second()
    {
        var (crop, _) = await CropAsync();
        using var image = crop.Image;
        var estimator = new AgeGenderEstimator(
            pipeline.Catalog.Get(pipeline.Analyzer.Recogniser.ModelId), gear: null, faceApi: pipeline.Catalog.Get(AgeGenderEstimator.FaceApiModel));

        var faceRes = (await estimator.EstimateAsync([crop], AgeGenderVariant.Parse("faceres")))[0];
        var faceApi = (await estimator.EstimateAsync([crop], AgeGenderVariant.Parse("faceapi+flip")))[0];
        var mixed = (await estimator.EstimateAsync([crop], AgeGenderVariant.Parse("faceres/faceapi+flip")))[0];

        Assert.Equal(faceRes.Age, mixed.Age, 0.001f);
        Assert.Equal(faceApi.MaleProbability, mixed.MaleProbability, 0.0001f);
        Assert.NotEqual(faceApi.Age, mixed.Age);
    }

    [Fact]
    public void A_variant_whose_model_is_missing_is_refused_when_the_predictor_is_built()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new AgeGenderVariantPredictor(
            new AgeGenderEstimator(pipeline.Catalog.Get(pipeline.Analyzer.Recogniser.ModelId), gear: null), AgeGenderVariant.Parse("ensemble")));

        Assert.Contains("gear", error.Message, StringComparison.Ordinal);
        var faceApi = Assert.Throws<InvalidOperationException>(() => new AgeGenderVariantPredictor(
            new AgeGenderEstimator(pipeline.Catalog.Get(pipeline.Analyzer.Recogniser.ModelId), gear: null), AgeGenderVariant.Parse("faceres/faceapi")));
        Assert.Contains(AgeGenderEstimator.FaceApiModel, faceApi.Message, StringComparison.Ordinal);
    }

    private async Task<(FramedCrop Crop, AgeGender Recognised)> CropAsync()
    {
        using var photo = ImageDecoder.Decode(await File.ReadAllBytesAsync(Path.Combine(Paths.Faces, "utkface-dev", "images", Chip)));
        var face = Assert.Single(await pipeline.Analyzer.Detector.DetectAsync(photo));
        var crop = pipeline.Analyzer.Recogniser.Align(photo, face);
        var recognised = (await pipeline.Analyzer.Recogniser.EmbedAsync([crop]))[0].AgeGender;
        Assert.NotNull(recognised);
        return (new FramedCrop(crop, pipeline.Analyzer.Recogniser.Template), recognised);
    }

    private static RgbImage Mirror(RgbImage image)
    {
        var mirror = RgbImage.Rent(image.Width, image.Height);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                image.Pixels.Slice(((y * image.Width) + x) * 3, 3).CopyTo(mirror.Pixels.Slice(((y * image.Width) + image.Width - 1 - x) * 3, 3));
            }
        }

        return mirror;
    }
}
