using System.Globalization;

namespace FacePlatform.Vision.Attributes;

/// <summary>Which model (or models) answer age and gender.</summary>
public enum AgeGenderSource
{
    /// <summary>FaceRes's age bins (expected value or Human's readout) and gender output.</summary>
    FaceRes,

    /// <summary>GEAR: expected age over its seven groups (Human's weights), gender softmax.</summary>
    Gear,

    /// <summary>The mean of FaceRes's and GEAR's age and male probability, equal weights (not fitted to any data).</summary>
    Ensemble,
}

/// <summary>
/// How age and gender are computed: the source, flip test-time augmentation (the mean of the crop and its mirror image)
/// and the crop scale (the face's crop zoomed about its centre: below 1 tighter, above 1 wider, black past the
/// border of the crop the service received, as past the photo's border when crops are cut). Spelled <c>SOURCE[+flip][@SCALE]</c>, e.g. <c>faceres</c>,
/// <c>ensemble+flip</c>, <c>gear@1.15</c>; <c>facectl eval age-gender</c> measures them (docs/accuracy.md).
/// </summary>
/// <param name="Source">The model or models.</param>
/// <param name="Flip">Average the answers for the crop and its mirror image.</param>
/// <param name="CropScale">Zoom of the crop about its centre (1: each model's own framing).</param>
public sealed record AgeGenderVariant(AgeGenderSource Source = AgeGenderSource.FaceRes, bool Flip = false, float CropScale = 1f)
{
    /// <summary>The narrowest and widest crop scales accepted.</summary>
    public const float MinCropScale = 0.5f, MaxCropScale = 2f;

    /// <summary>FaceRes on its own crop, no flip: what a FaceRes recogniser already answers in its embedding pass.</summary>
    public static AgeGenderVariant Default { get; } = new();

    /// <summary>
    /// True when the variant is exactly the answer of FaceRes's embedding pass, so a FaceRes recogniser's own age and
    /// gender can be served without running anything again.
    /// </summary>
    public bool IsRecogniserPass => Source == AgeGenderSource.FaceRes && !Flip && CropScale == 1f;

    /// <summary>Parses <c>SOURCE[+flip][@SCALE]</c> (case-insensitive source: faceres, gear, ensemble).</summary>
    /// <exception cref="FormatException">The text names no such variant.</exception>
    public static AgeGenderVariant Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rest = text.Trim();
        var scale = 1f;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!float.TryParse(rest.AsSpan(at + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out scale) || !(scale >= MinCropScale && scale <= MaxCropScale))
            {
                throw new FormatException($"'{text}': the crop scale after '@' must be a number from {MinCropScale} to {MaxCropScale}.");
            }

            rest = rest[..at];
        }

        var flip = false;
        if (rest.EndsWith("+flip", StringComparison.OrdinalIgnoreCase))
        {
            flip = true;
            rest = rest[..^5];
        }

        var source = rest.ToLowerInvariant() switch
        {
            "faceres" => AgeGenderSource.FaceRes,
            "gear" => AgeGenderSource.Gear,
            "ensemble" => AgeGenderSource.Ensemble,
            _ => throw new FormatException($"'{text}': the age and gender source must be faceres, gear or ensemble (then +flip and/or @SCALE)."),
        };
        return new AgeGenderVariant(source, flip, scale);
    }

    /// <summary>True when <paramref name="text"/> parses.</summary>
    public static bool TryParse(string? text, out AgeGenderVariant? variant)
    {
        try
        {
            variant = text is null ? null : Parse(text);
            return variant is not null;
        }
        catch (FormatException)
        {
            variant = null;
            return false;
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Source.ToString().ToLowerInvariant() + (Flip ? "+flip" : string.Empty) + (CropScale == 1f ? string.Empty : "@" + CropScale.ToString("0.###", CultureInfo.InvariantCulture));
}
