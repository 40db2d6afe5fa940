namespace FacePlatform.Vision.Recognition;

/// <summary>
/// How one face scores against a cohort of impostor faces: the mean and standard deviation of its
/// <c>topK</c> highest similarities to the cohort (the "adaptive" cohort of AS-norm: the impostors that look most like it).
/// </summary>
/// <param name="Mean">Mean of the top-K cohort similarities.</param>
/// <param name="StandardDeviation">Their (population) standard deviation, at least <see cref="CohortNormalisation.MinStandardDeviation"/>.</param>
public readonly record struct CohortStatistics(float Mean, float StandardDeviation);

/// <summary>
/// Score normalisation against a cohort of impostor faces, as measured by <c>facectl eval identify --cohort</c>
/// (docs/accuracy.md, "Open set"). Not used by search: it was measured, not shipped.
/// </summary>
/// <remarks>
/// T-norm shifts and scales a raw similarity by the probe's own impostor distribution, so a face that resembles many
/// people (a "lamb") needs a higher raw score to be accepted. Adaptive S-norm averages that with the same normalisation
/// on the enrolled face's side. Both give z-scores, so their thresholds must be calibrated on normalised impostor pairs,
/// not taken from the raw cosine calibration.
/// </remarks>
public static class CohortNormalisation
{
    /// <summary>Floor of a cohort's standard deviation, so a degenerate cohort cannot divide by zero.</summary>
    public const float MinStandardDeviation = 1e-6f;

    /// <summary>Mean and standard deviation of the <paramref name="topK"/> highest of <paramref name="cohortScores"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topK"/> is below 2.</exception>
    /// <exception cref="ArgumentException">No cohort scores.</exception>
    public static CohortStatistics Statistics(IEnumerable<float> cohortScores, int topK)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 2);
        var top = cohortScores.OrderDescending().Take(topK).ToArray();
        if (top.Length == 0)
        {
            throw new ArgumentException("A cohort needs at least one score.", nameof(cohortScores));
        }

        double mean = top.Average(s => (double)s);
        var variance = top.Sum(s => (s - mean) * (s - mean)) / top.Length;
        return new CohortStatistics((float)mean, Math.Max(MinStandardDeviation, (float)Math.Sqrt(variance)));
    }

    /// <summary>T-norm: <c>(score − μ_probe) / σ_probe</c>.</summary>
    public static float TNorm(float score, CohortStatistics probe) => (score - probe.Mean) / probe.StandardDeviation;

    /// <summary>Adaptive S-norm: the mean of the T-norms on the probe's side and on the enrolled face's side.</summary>
    public static float AdaptiveSNorm(float score, CohortStatistics probe, CohortStatistics enrolled) =>
        0.5f * (TNorm(score, probe) + TNorm(score, enrolled));
}
