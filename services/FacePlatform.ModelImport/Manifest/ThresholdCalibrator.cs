using System.Globalization;

namespace FacePlatform.ModelImport.Manifest;

/// <summary>
/// Reads a recogniser's thresholds at stated per-pair false-accept rates from the similarities of impostor pairs:
/// empirically while at least <see cref="MinImpostorsAbove"/> impostor pairs lie above the threshold, and beyond that
/// from an exponential fit of the upper tail (peaks over the top <see cref="TailFraction"/>).
/// </summary>
/// <remarks>
/// Why a tail fit: with n impostor pairs an empirical threshold at rate f rests on f·n pairs; at 3,458 pairs and
/// f = 1e-3 that is 3 pairs, and below 1/n there is nothing to read. Above a high quantile the excesses of a score
/// follow a generalised Pareto law (Pickands–Balkema–de Haan). Its shape ξ is estimated here by probability-weighted
/// moments (Hosking and Wallis 1987) and reported, but the thresholds use an exponential tail (ξ = 0, scale = the mean
/// excess, its maximum-likelihood fit): impostor cosines are bounded, so their true ξ is negative (−0.19 and −0.13 on
/// the dev data) and an exponential tail errs high (fewer false accepts, a few more misses), never low; and a ξ
/// estimated from a few hundred excesses is too noisy to extrapolate three decades with (a synthetic exponential tail
/// of 1,000 excesses, fitted with its estimated ξ, gave a threshold 0.09 too high at 1e-5: CalibrationTests).
/// </remarks>
public static class ThresholdCalibrator
{
    /// <summary>Impostor pairs that must lie above an empirical threshold for it to be read from the data.</summary>
    public const int MinImpostorsAbove = 10;

    /// <summary>Fraction of the impostor pairs, from the top, whose excesses the tail fit uses.</summary>
    public const double TailFraction = 0.05;

    /// <summary>The per-pair false-accept rates every calibration states, largest first.</summary>
    public static IReadOnlyList<double> StandardRates { get; } = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 1e-6];

    /// <summary>The calibration of <paramref name="impostors"/> and <paramref name="genuines"/> at <paramref name="rates"/>.</summary>
    /// <exception cref="ArgumentException">Fewer than 200 impostor pairs: too few for a tail.</exception>
    public static ModelCalibration Calibrate(IEnumerable<float> impostors, IEnumerable<float> genuines, string data, IReadOnlyList<double>? rates = null)
    {
        var descending = impostors.OrderDescending().ToArray();
        var genuine = genuines.ToArray();
        if (descending.Length < 200)
        {
            throw new ArgumentException($"{descending.Length} impostor pairs are too few to calibrate a threshold (at least 200).", nameof(impostors));
        }

        var tail = TailFit.Of(descending, TailFraction);
        var points = new List<CalibratedThreshold>();
        foreach (var rate in (rates ?? StandardRates).OrderDescending())
        {
            var allowed = (long)Math.Floor(rate * descending.Length);
            float threshold;
            string basis;
            if (allowed >= MinImpostorsAbove && allowed < descending.Length)
            {
                // The smallest similarity above the (allowed+1)-th highest impostor: at most `allowed` pass.
                threshold = float.BitIncrement(descending[allowed]);
                basis = "empirical";
            }
            else
            {
                threshold = (float)tail.ThresholdAt(rate);
                basis = "tail-fit";
            }

            // Smaller rates never get lower thresholds (the two readings meet where the data thins out).
            if (points.Count > 0 && threshold < points[^1].Threshold)
            {
                threshold = points[^1].Threshold;
            }

            double? tar = genuine.Length > 0 ? genuine.Count(g => g >= threshold) / (double)genuine.Length : null;
            points.Add(new CalibratedThreshold(rate, MathF.Round(threshold, 4, MidpointRounding.AwayFromZero), basis, tar is { } t ? Math.Round(t, 4) : null));
        }

        var method = string.Create(
            CultureInfo.InvariantCulture,
            $"empirical where at least {MinImpostorsAbove} impostor pairs lie above the threshold; beyond, an exponential tail fitted to the excesses over the top {TailFraction:P0} (u={tail.Location:F4}, scale={tail.Scale:F4}; generalised Pareto shape by probability-weighted moments {tail.RawShape:F3}, not used: bounded scores have a lighter tail than the exponential)");
        return new ModelCalibration(data, method, descending.Length, genuine.Length, points);
    }

    /// <summary>A generalised Pareto fit of the excesses over a high quantile.</summary>
    /// <param name="Location">The quantile above which excesses are fitted.</param>
    /// <param name="Exceedance">Fraction of all pairs above <paramref name="Location"/>.</param>
    /// <param name="Scale">Scale of the exponential tail (the mean excess).</param>
    /// <param name="Shape">Shape ξ as used: 0, an exponential tail.</param>
    /// <param name="RawShape">The generalised Pareto shape ξ as estimated by probability-weighted moments (reported only).</param>
    public sealed record TailFit(double Location, double Exceedance, double Scale, double Shape, double RawShape)
    {
        /// <summary>Fits the top <paramref name="fraction"/> of <paramref name="descending"/> (sorted high to low).</summary>
        public static TailFit Of(IReadOnlyList<float> descending, double fraction)
        {
            var count = Math.Max(50, (int)Math.Round(fraction * descending.Count));
            count = Math.Min(count, descending.Count - 1);
            var location = (double)descending[count];
            // Excesses in ascending order for the probability-weighted moments a0 = E[Y], a1 = E[Y (1 - F(Y))].
            var excesses = Enumerable.Range(0, count).Select(i => descending[count - 1 - i] - location).ToArray();
            double a0 = excesses.Average(), a1 = 0;
            for (var i = 0; i < count; i++)
            {
                var plotting = (i + 0.65) / count; // Hosking's plotting position (i − 0.35)/n for 1-based i
                a1 += (1 - plotting) * excesses[i];
            }

            a1 /= count;
            var k = a0 / (a0 - 2 * a1) - 2; // Hosking's k = −ξ
            // The GPD shape is kept for the record; the thresholds use the exponential tail (see the remarks).
            return new TailFit(location, count / (double)descending.Count, a0, 0, -k);
        }

        /// <summary>The similarity above which a fraction <paramref name="rate"/> of impostor pairs is expected.</summary>
        public double ThresholdAt(double rate)
        {
            var ratio = Exceedance / rate; // how far into the tail, in units of the fitted exceedance
            if (ratio <= 1)
            {
                return Location;
            }

            var excess = Shape < 1e-9 ? Scale * Math.Log(ratio) : Scale / Shape * (Math.Pow(ratio, Shape) - 1);
            return Location + excess;
        }
    }
}
