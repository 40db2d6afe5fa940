using FacePlatform.Contracts.Internal.V1;

namespace FacePlatform.Gateway.Tests;

/// <summary>The open-set threshold: a per-search false-accept rate and a gallery size turned into a cosine threshold.</summary>
public sealed class OpenSetThresholdTests
{
    private static readonly ThresholdCalibration Calibration = ThresholdCalibration.Create(
        "faceres",
        [(1e-1, 0.46f), (1e-2, 0.54f), (1e-3, 0.62f), (1e-4, 0.70f), (1e-6, 0.85f)]);

    [Theory]
    [InlineData(0.01, 1, 0.01)]
    [InlineData(0.01, 20, 5.0252e-4)]
    [InlineData(0.05, 1000, 5.1292e-5)]
    public void The_per_pair_rate_is_the_per_search_rate_shared_over_the_gallery(double perSearch, long gallery, double expected)
    {
        var perPair = ThresholdCalibration.PerPairRate(perSearch, gallery);

        Assert.Equal(expected, perPair, expected * 1e-3);
        // Back again: N chances at p give the per-search rate.
        Assert.Equal(perSearch, 1 - Math.Pow(1 - perPair, gallery), 1e-9);
    }

    [Fact]
    public void An_empty_gallery_counts_as_one_comparison()
    {
        Assert.Equal(ThresholdCalibration.PerPairRate(0.01, 1), ThresholdCalibration.PerPairRate(0.01, 0));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void A_rate_outside_zero_to_one_is_refused(double rate)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdCalibration.PerPairRate(rate, 10));
    }

    [Fact]
    public void Calibrated_rates_give_their_thresholds_and_rates_between_them_are_interpolated_in_log_rate()
    {
        Assert.Equal(0.54f, Calibration.ThresholdAt(1e-2), 5);
        Assert.Equal(0.62f, Calibration.ThresholdAt(1e-3), 5);
        // Half-way in log10 between 1e-2 and 1e-3.
        Assert.Equal(0.58f, Calibration.ThresholdAt(Math.Sqrt(1e-5)), 4);
        // Half-way between 1e-4 and 1e-6 (two decades apart).
        Assert.Equal(0.775f, Calibration.ThresholdAt(1e-5), 4);
    }

    [Fact]
    public void Rates_outside_the_calibration_are_held_at_its_ends()
    {
        Assert.Equal(0.46f, Calibration.ThresholdAt(0.3));
        Assert.Equal(0.85f, Calibration.ThresholdAt(1e-9));
    }

    [Fact]
    public void A_larger_gallery_needs_a_higher_threshold_for_the_same_per_search_rate()
    {
        var thresholds = new long[] { 1, 10, 100, 1000, 10_000 }.Select(n => Calibration.ThresholdFor(0.01, n)).ToList();

        Assert.Equal(0.54f, thresholds[0], 5);
        for (var i = 1; i < thresholds.Count; i++)
        {
            Assert.True(thresholds[i] > thresholds[i - 1], $"gallery 10^{i}: {thresholds[i]} is not above {thresholds[i - 1]}");
        }
    }

    [Fact]
    public void A_calibration_without_points_cannot_give_a_threshold()
    {
        var empty = new ThresholdCalibration { ModelId = "operator-model" };

        Assert.Throws<InvalidOperationException>(() => empty.ThresholdAt(1e-3));
    }

    [Theory]
    [InlineData(0.01, true)]
    [InlineData(0.5, true)]
    [InlineData(0.0, false)]
    [InlineData(0.51, false)]
    [InlineData(double.NaN, false)]
    public void A_collection_may_choose_a_rate_up_to_one_half(double rate, bool valid)
    {
        Assert.Equal(valid, ThresholdCalibration.IsValidRate(rate));
    }
}
