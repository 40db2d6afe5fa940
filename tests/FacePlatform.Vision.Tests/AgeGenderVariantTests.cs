using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Vision.Tests;

public sealed class AgeGenderVariantTests
{
    [Theory]
    [InlineData("faceres", AgeGenderSource.FaceRes, false, 1f)]
    [InlineData("gear+flip", AgeGenderSource.Gear, true, 1f)]
    [InlineData("Ensemble+flip@0.85", AgeGenderSource.Ensemble, true, 0.85f)]
    [InlineData("faceres@1.15", AgeGenderSource.FaceRes, false, 1.15f)]
    [InlineData("faceapi", AgeGenderSource.FaceApi, false, 1f)]
    [InlineData("FaceApi+flip@1.2", AgeGenderSource.FaceApi, true, 1.2f)]
    [InlineData("faceres+faceapi", AgeGenderSource.FaceRes | AgeGenderSource.FaceApi, false, 1f)]
    [InlineData("ensemble+faceapi+flip", AgeGenderSource.FaceRes | AgeGenderSource.Gear | AgeGenderSource.FaceApi, true, 1f)]
    [InlineData("faceres+gear", AgeGenderSource.Ensemble, false, 1f)]
    [InlineData("faceres/faceres", AgeGenderSource.FaceRes, false, 1f)]
    public void A_variant_is_parsed_from_its_spelling(string text, AgeGenderSource source, bool flip, float scale)
    {
        var variant = AgeGenderVariant.Parse(text);

        Assert.Equal(new AgeGenderVariant(source, flip, scale), variant);
        Assert.Equal(variant, AgeGenderVariant.Parse(variant.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("mobileface")]
    [InlineData("faceres+mirror")]
    [InlineData("gear@3")]
    [InlineData("gear@0.1")]
    [InlineData("gear@x")]
    [InlineData("faceapi+faceapi")]
    [InlineData("ensemble+gear")]
    [InlineData("flip")]
    [InlineData("faceapi+flip+flip")]
    [InlineData("faceres+")]
    [InlineData("faceapi@1.2+flip")]
    [InlineData("faceres/")]
    [InlineData("/faceapi")]
    [InlineData("faceres/gear/faceapi")]
    [InlineData("faceres/faceapi@3")]
    public void A_spelling_that_names_no_variant_is_refused(string text)
    {
        Assert.Throws<FormatException>(() => AgeGenderVariant.Parse(text));
        Assert.False(AgeGenderVariant.TryParse(text, out _));
    }

    [Fact]
    public void Only_plain_faceres_is_the_recognisers_own_pass()
    {
        Assert.True(AgeGenderVariant.Parse("faceres").IsRecogniserPass);
        Assert.False(AgeGenderVariant.Parse("faceres+flip").IsRecogniserPass);
        Assert.False(AgeGenderVariant.Parse("faceres@0.85").IsRecogniserPass);
        Assert.False(AgeGenderVariant.Parse("gear").IsRecogniserPass);
        Assert.False(AgeGenderVariant.Parse("ensemble").IsRecogniserPass);
        Assert.False(AgeGenderVariant.Parse("faceapi").IsRecogniserPass);
        Assert.False(AgeGenderVariant.Parse("faceres/faceapi").IsRecogniserPass);
    }

    [Fact]
    public void An_age_and_gender_mix_is_parsed_into_two_parts_and_spelled_back()
    {
        var variant = AgeGenderVariant.Parse("faceres+flip/faceapi@1.2");

        Assert.Equal(new AgeGenderVariant(AgeGenderSource.FaceRes, true, 1f, new AgeGenderVariant(AgeGenderSource.FaceApi, false, 1.2f)), variant);
        Assert.Equal("faceres+flip/faceapi@1.2", variant.ToString());
        Assert.Equal(new AgeGenderVariant(AgeGenderSource.FaceRes, true), variant.Parts.Age);
        Assert.Equal(new AgeGenderVariant(AgeGenderSource.FaceApi, false, 1.2f), variant.Parts.Gender);
        Assert.Equal([AgeGenderSource.FaceRes, AgeGenderSource.FaceApi], AgeGenderEstimator.SourcesOf(variant));
        Assert.Equal([(AgeGenderSource.FaceRes, 1f, true), (AgeGenderSource.FaceApi, 1.2f, false)], AgeGenderEstimator.ReadingsOf(variant));
    }

    [Fact]
    public void A_model_read_by_both_parts_at_one_scale_is_read_once_with_the_mirror_image_if_either_flips()
    {
        var readings = AgeGenderEstimator.ReadingsOf(AgeGenderVariant.Parse("faceres+faceapi/faceapi+flip"));

        Assert.Equal([(AgeGenderSource.FaceRes, 1f, false), (AgeGenderSource.FaceApi, 1f, true)], readings);
    }

    [Fact]
    public void A_mix_takes_the_age_from_its_first_part_and_the_gender_from_its_second()
    {
        var faceRes = new AgeGenderReading([new AgeGender(30, 0.9f), new AgeGender(60, 0.2f)], null);
        var faceApi = new AgeGenderReading([new AgeGender(40, 0.1f), new AgeGender(50, 0.8f)], [new AgeGender(44, 0.3f), new AgeGender(54, 0.6f)]);
        IReadOnlyList<(AgeGenderSource, AgeGenderReading)> readings = [(AgeGenderSource.FaceRes, faceRes), (AgeGenderSource.FaceApi, faceApi)];

        var mixed = AgeGenderEstimator.Combine(AgeGenderVariant.Parse("faceres/faceapi+flip"), readings);
        var averaged = AgeGenderEstimator.Combine(AgeGenderVariant.Parse("faceres+faceapi"), readings);

        Assert.Equal(30f, mixed[0].Age, 4);
        Assert.Equal(0.2f, mixed[0].MaleProbability, 4);
        Assert.Equal(60f, mixed[1].Age, 4);
        Assert.Equal(0.7f, mixed[1].MaleProbability, 4);
        Assert.Equal(35f, averaged[0].Age, 4);
        Assert.Equal(0.5f, averaged[0].MaleProbability, 4);
        Assert.Equal(55f, averaged[1].Age, 4);
        Assert.Equal(0.5f, averaged[1].MaleProbability, 4);
    }

    [Fact]
    public void Flip_averages_a_models_plain_and_mirrored_answers_and_an_ensemble_averages_the_models()
    {
        var faceRes = new AgeGenderReading([new AgeGender(30, 0.9f)], [new AgeGender(34, 0.7f)]);
        var gear = new AgeGenderReading([new AgeGender(40, 0.5f)], [new AgeGender(50, 0.3f)]);
        IReadOnlyList<(AgeGenderSource, AgeGenderReading)> readings = [(AgeGenderSource.FaceRes, faceRes), (AgeGenderSource.Gear, gear)];

        var plain = AgeGenderEstimator.Combine(AgeGenderVariant.Parse("faceres"), readings)[0];
        var flipped = AgeGenderEstimator.Combine(AgeGenderVariant.Parse("faceres+flip"), readings)[0];
        var ensemble = AgeGenderEstimator.Combine(AgeGenderVariant.Parse("ensemble"), readings)[0];
        var both = AgeGenderEstimator.Combine(AgeGenderVariant.Parse("ensemble+flip"), readings)[0];

        Assert.Equal(30f, plain.Age, 4);
        Assert.Equal(0.9f, plain.MaleProbability, 4);
        Assert.Equal(32f, flipped.Age, 4);
        Assert.Equal(0.8f, flipped.MaleProbability, 4);
        Assert.Equal(35f, ensemble.Age, 4);
        Assert.Equal(0.7f, ensemble.MaleProbability, 4);
        Assert.Equal(38.5f, both.Age, 4);
        Assert.Equal(0.6f, both.MaleProbability, 4);
    }

    [Fact]
    public void A_flip_variant_without_mirrored_answers_is_an_error_not_a_silent_plain_answer()
    {
        IReadOnlyList<(AgeGenderSource, AgeGenderReading)> readings = [(AgeGenderSource.FaceRes, new AgeGenderReading([new AgeGender(30, 0.9f)], null))];

        Assert.Throws<ArgumentException>(() => AgeGenderEstimator.Combine(AgeGenderVariant.Parse("faceres+flip"), readings));
    }
}
