namespace FacePlatform.Contracts.Internal.V1;

/// <summary>
/// Open-set thresholds from a recogniser's calibration: the one place that turns "how often may a stranger be taken
/// for someone" into a cosine threshold, for the gateway's search and verify and for <c>facectl eval identify</c>.
/// </summary>
/// <remarks>
/// A search compares a never-enrolled face with every one of the gallery's N faces, so it has N chances to be falsely
/// accepted. With per-pair false-accept rate p the per-search rate is 1 − (1 − p)^N ≈ N·p; for a per-search rate α the
/// per-pair rate is therefore p = 1 − (1 − α)^(1/N) ≈ α / N, and the threshold is the calibrated one at p
/// (docs/accuracy.md, "Open set"). Between calibrated rates the threshold is interpolated linearly in log(rate);
/// outside them it is held at the nearest end (the calibration states rates down to 1e-6: galleries of up to ~10,000
/// faces at α = 0.01 lie inside it; larger ones get the 1e-6 threshold, so their per-search rate grows with N).
/// </remarks>
public sealed partial class ThresholdCalibration
{
    /// <summary>
    /// Per-search false-accept rate of a search when neither the request nor the collection names one: a stranger is
    /// taken for an enrolled person in one search of a hundred (docs/accuracy.md, "Open set").
    /// </summary>
    public const double DefaultSearchFalseAcceptRate = 0.01;

    /// <summary>The highest per-search false-accept rate a collection may choose.</summary>
    public const double MaxFalseAcceptRate = 0.5;

    /// <summary>A calibration of <paramref name="modelId"/> from its (rate, threshold) points.</summary>
    public static ThresholdCalibration Create(string modelId, IEnumerable<(double FalseAcceptRate, float Threshold)> points)
    {
        var calibration = new ThresholdCalibration { ModelId = modelId };
        calibration.Points.AddRange(points.Select(p => new CalibratedThreshold { FalseAcceptRate = p.FalseAcceptRate, Threshold = p.Threshold }));
        return calibration;
    }

    /// <summary>True when <paramref name="rate"/> is a false-accept rate a collection may choose: (0, <see cref="MaxFalseAcceptRate"/>].</summary>
    public static bool IsValidRate(double rate) => rate > 0 && rate <= MaxFalseAcceptRate;

    /// <summary>The per-pair false-accept rate that gives <paramref name="perSearchRate"/> over <paramref name="galleryFaces"/> comparisons.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not in (0, 1).</exception>
    public static double PerPairRate(double perSearchRate, long galleryFaces)
    {
        if (!(perSearchRate > 0 && perSearchRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(perSearchRate), perSearchRate, "a false-accept rate lies in (0, 1)");
        }

        var comparisons = Math.Max(1, galleryFaces);
        return -double.ExpM1(double.LogP1(-perSearchRate) / comparisons);
    }

    /// <summary>The threshold at per-pair false-accept rate <paramref name="perPairRate"/>.</summary>
    /// <exception cref="InvalidOperationException">The calibration has no points.</exception>
    public float ThresholdAt(double perPairRate)
    {
        if (Points.Count == 0)
        {
            throw new InvalidOperationException($"the calibration of '{ModelId}' has no thresholds");
        }

        var points = Points.Where(p => p.FalseAcceptRate > 0).OrderByDescending(p => p.FalseAcceptRate).ToList();
        if (perPairRate >= points[0].FalseAcceptRate)
        {
            return points[0].Threshold;
        }

        for (var i = 1; i < points.Count; i++)
        {
            var (upper, lower) = (points[i - 1], points[i]);
            if (perPairRate >= lower.FalseAcceptRate)
            {
                var position = Math.Log(upper.FalseAcceptRate / perPairRate) / Math.Log(upper.FalseAcceptRate / lower.FalseAcceptRate);
                return (float)(upper.Threshold + position * (lower.Threshold - upper.Threshold));
            }
        }

        return points[^1].Threshold;
    }

    /// <summary>The threshold that keeps a search over <paramref name="galleryFaces"/> faces at <paramref name="perSearchRate"/>.</summary>
    public float ThresholdFor(double perSearchRate, long galleryFaces) => ThresholdAt(PerPairRate(perSearchRate, galleryFaces));
}
