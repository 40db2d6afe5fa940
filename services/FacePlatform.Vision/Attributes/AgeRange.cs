using System.Globalization;

namespace FacePlatform.Vision.Attributes;

/// <summary>
/// The ages a face most likely has, from an age estimate and the default model's measured error in the estimate's
/// 10-year band (like AWS Rekognition's AgeRange). The one place to recalibrate: re-run the measurement named in
/// <see cref="Bands"/> and replace the table.
/// </summary>
/// <param name="Low">Youngest likely age, whole years, at least 0.</param>
/// <param name="High">Oldest likely age, whole years.</param>
public readonly record struct AgeRange(int Low, int High)
{
    /// <summary>
    /// Error of the estimate (estimate − true age, years) by 10-year band of the estimate: its 10th and 90th
    /// percentiles, so a range holds the true age for about 80% of the faces of the band. Measured for FaceRes (the
    /// default recogniser, expected-value readout) on the 2,475 utkface-dev chips where a face was found
    /// (docs/accuracy.md, "Age error by band", 2026-12-03): the model reads children a little old and adults from 30 on
    /// young (by 15–16 years on average from an estimate of 40 on), so ranges are lopsided and wide there. Estimates
    /// never passed 70 on that set; the last band serves every older estimate.
    /// </summary>
    internal static readonly (int FromAge, float ErrorP10, float ErrorP90)[] Bands =
    [
        (0, -1.2f, 4.9f),
        (10, -1.4f, 12.8f),
        (20, -9.5f, 14.0f),
        (30, -26.0f, 8.7f),
        (40, -33.2f, 2.4f),
        (50, -30.1f, 0.2f),
        (60, -25.9f, -2.8f),
    ];

    /// <summary>The likely range for an estimated <paramref name="age"/>; it always contains the estimate.</summary>
    public static AgeRange For(float age)
    {
        if (!float.IsFinite(age))
        {
            throw new ArgumentOutOfRangeException(nameof(age), age.ToString(CultureInfo.InvariantCulture), "an age estimate must be finite");
        }

        var band = Bands[0];
        foreach (var candidate in Bands)
        {
            if (age >= candidate.FromAge)
            {
                band = candidate;
            }
        }

        // The true age is the estimate minus the error: the largest errors give the lowest ages.
        var low = (int)MathF.Floor(MathF.Min(age, age - band.ErrorP90));
        var high = (int)MathF.Ceiling(MathF.Max(age, age - band.ErrorP10));
        return new AgeRange(Math.Max(0, low), Math.Max(0, high));
    }
}
