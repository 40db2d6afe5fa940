using System.Globalization;

namespace FacePlatform.Vision.Attributes;

/// <summary>
/// The ages a face most likely has, from an age estimate (like AWS Rekognition's AgeRange): the estimate divided and
/// multiplied by <see cref="RelativeSpread"/>, at least <see cref="MinimumHalfWidth"/> years either side.
/// </summary>
/// <remarks>
/// A relative rule because age error grows with age (measured MAE of the FaceRes readout by 10-year band of the
/// estimate: 2.0, 6.2, 8.3, 11.6, 16.4, 16.8, 16.6 years — docs/accuracy.md, "Age error by band"). The rule is chosen,
/// not fitted: the only labelled ages we have (utkface-dev) are research-only data that nothing shipped may be fitted
/// to, so its per-band error percentiles are not used as a table. Among the round factors 1.2–1.6 measured on those
/// chips, 1.4 holds the true age for 69 % of all faces (20–49: 92–97 %; 0–19 ≈ 50 %; 60+ ≤ 65 %, where the model reads
/// old faces far too young) at a mean width of 26 years; docs/accuracy.md has the per-band coverage.
/// </remarks>
/// <param name="Low">Youngest likely age, whole years, at least 0.</param>
/// <param name="High">Oldest likely age, whole years.</param>
public readonly record struct AgeRange(int Low, int High)
{
    /// <summary>Factor between the estimate and either end of the range.</summary>
    public const float RelativeSpread = 1.4f;

    /// <summary>The least distance, years, from the estimate to either end (young faces).</summary>
    public const float MinimumHalfWidth = 3f;

    /// <summary>The likely range for an estimated <paramref name="age"/>; it always contains the estimate.</summary>
    public static AgeRange For(float age)
    {
        if (!float.IsFinite(age))
        {
            throw new ArgumentOutOfRangeException(nameof(age), age.ToString(CultureInfo.InvariantCulture), "an age estimate must be finite");
        }

        var estimate = MathF.Max(0, age);
        var low = (int)MathF.Floor(MathF.Min(estimate / RelativeSpread, estimate - MinimumHalfWidth));
        var high = (int)MathF.Ceiling(MathF.Max(estimate * RelativeSpread, estimate + MinimumHalfWidth));
        return new AgeRange(Math.Max(0, low), high);
    }
}
