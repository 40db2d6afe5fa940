using FacePlatform.Vision.Recognition;

namespace FacePlatform.Vision.Tests;

/// <summary>The arithmetic of cohort score normalisation (measured by <c>facectl eval identify --cohort</c>).</summary>
public sealed class CohortNormalisationTests
{
    [Fact]
    public void Statistics_are_the_mean_and_population_spread_of_the_top_K_cohort_scores_only()
    {
        // Top 3 of these: 0.9, 0.7, 0.5 → mean 0.7, variance (0.04 + 0 + 0.04) / 3.
        var statistics = CohortNormalisation.Statistics([0.1f, 0.9f, 0.5f, 0.3f, 0.7f], topK: 3);

        Assert.Equal(0.7f, statistics.Mean, 5);
        Assert.Equal(MathF.Sqrt(0.08f / 3), statistics.StandardDeviation, 5);
    }

    [Fact]
    public void A_cohort_smaller_than_K_uses_all_its_scores()
    {
        var statistics = CohortNormalisation.Statistics([0.2f, 0.4f], topK: 50);

        Assert.Equal(0.3f, statistics.Mean, 5);
        Assert.Equal(0.1f, statistics.StandardDeviation, 5);
    }

    [Fact]
    public void T_norm_is_the_score_in_standard_deviations_above_the_probes_cohort_mean()
    {
        Assert.Equal(3f, CohortNormalisation.TNorm(0.8f, new CohortStatistics(0.5f, 0.1f)), 4);
        Assert.Equal(-1f, CohortNormalisation.TNorm(0.4f, new CohortStatistics(0.5f, 0.1f)), 4);
    }

    [Fact]
    public void Adaptive_S_norm_averages_the_probe_side_and_the_enrolled_side()
    {
        // Probe side (0.8 − 0.5) / 0.1 = 3, enrolled side (0.8 − 0.4) / 0.2 = 2.
        var normalised = CohortNormalisation.AdaptiveSNorm(0.8f, new CohortStatistics(0.5f, 0.1f), new CohortStatistics(0.4f, 0.2f));

        Assert.Equal(2.5f, normalised, 4);
    }

    [Fact]
    public void A_probe_that_resembles_many_impostors_needs_a_higher_raw_score()
    {
        var lamb = CohortNormalisation.Statistics([0.55f, 0.5f, 0.45f, 0.1f], topK: 3);
        var distinct = CohortNormalisation.Statistics([0.25f, 0.2f, 0.15f, 0.1f], topK: 3);

        Assert.True(
            CohortNormalisation.TNorm(0.6f, lamb) < CohortNormalisation.TNorm(0.6f, distinct),
            $"lamb {CohortNormalisation.TNorm(0.6f, lamb)} vs distinct {CohortNormalisation.TNorm(0.6f, distinct)}");
    }

    [Fact]
    public void A_degenerate_cohort_gives_a_finite_score_and_bad_arguments_are_refused()
    {
        var flat = CohortNormalisation.Statistics([0.3f, 0.3f, 0.3f], topK: 3);

        Assert.Equal(CohortNormalisation.MinStandardDeviation, flat.StandardDeviation);
        Assert.True(float.IsFinite(CohortNormalisation.TNorm(0.9f, flat)));
        Assert.Throws<ArgumentOutOfRangeException>(() => CohortNormalisation.Statistics([0.3f, 0.4f], topK: 1));
        Assert.Throws<ArgumentException>(() => CohortNormalisation.Statistics([], topK: 5));
    }
}
