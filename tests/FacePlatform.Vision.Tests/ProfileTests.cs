using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Pipeline;

namespace FacePlatform.Vision.Tests;

/// <summary>The named profiles: resolution, the default, the error for an unknown name, and how a profile changes detection.</summary>
public sealed class ProfileTests
{
    [Fact]
    public void An_empty_name_is_the_default_profile_and_fast_uses_the_int8_recogniser()
    {
        var profiles = new ProfileOptions();

        var (defaultName, accurate) = profiles.Resolve(null);
        var (fastName, fast) = profiles.Resolve("fast");

        Assert.Equal(ProfileOptions.Accurate, defaultName);
        Assert.Null(accurate.Recogniser);
        Assert.Equal("fast", fastName);
        Assert.Equal("faceres-int8", fast.Recogniser);
        Assert.Equal("facemesh", fast.Apply(new DetectionOptions()).Mesh);
        Assert.Equal(string.Empty, new InferenceProfile { Mesh = false }.Apply(new DetectionOptions()).Mesh);
    }

    [Fact]
    public void An_unknown_profile_is_an_argument_error_naming_the_known_ones()
    {
        var error = Assert.Throws<UnknownProfileException>(() => new ProfileOptions().Resolve("turbo"));

        Assert.Equal("turbo", error.Name);
        Assert.Contains("accurate, fast", error.Message, StringComparison.Ordinal);
        Assert.False(new ProfileOptions().IsKnown("Fast"));
    }

    [Fact]
    public void Applying_a_profile_changes_a_copy_and_keeps_unset_knobs()
    {
        var configured = new DetectionOptions { MinFaceSize = 33, PaddedView = 2f };
        var profile = new InferenceProfile { PaddedView = 0f, Detector = "blazeface-front" };

        var applied = profile.Apply(configured);

        Assert.Equal(0f, applied.PaddedView);
        Assert.Equal("blazeface-front", applied.Detector);
        Assert.Equal(33, applied.MinFaceSize);
        Assert.Equal("facemesh", applied.Mesh);
        Assert.Equal(2f, configured.PaddedView);
        Assert.Equal("blazeface-back", configured.Detector);
    }
}
