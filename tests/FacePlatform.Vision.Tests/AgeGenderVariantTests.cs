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
