using System.Globalization;

namespace FacePlatform.Vision.Attributes;

/// <summary>
/// Which models answer age and gender: one model, or several whose answers are averaged (a set of flags, so that a
/// source compares by value and <c>ensemble</c> is simply FaceRes and GEAR together).
/// </summary>
[Flags]
public enum AgeGenderSource
{
    /// <summary>FaceRes's age bins (expected value or Human's readout) and gender output.</summary>
    FaceRes = 1,

    /// <summary>GEAR: expected age over its seven groups (Human's weights), gender softmax.</summary>
    Gear = 2,

    /// <summary>face-api.js's age-gender net (model <c>faceapi-age-gender</c>): age regression, gender softmax.</summary>
    FaceApi = 4,

    /// <summary>The mean of FaceRes's and GEAR's age and male probability, equal weights (not fitted to any data).</summary>
    Ensemble = FaceRes | Gear,
}

/// <summary>
/// How age and gender are computed: the source (one model or the plain mean of several), flip test-time augmentation
/// (the mean of the crop and its mirror image) and the crop scale (the face's crop zoomed about its centre: below 1
/// tighter, above 1 wider, black past the border of the crop the service received, as past the photo's border when
/// crops are cut). Spelled <c>SOURCE[+SOURCE…][+flip][@SCALE]</c>, e.g. <c>faceres</c>, <c>ensemble+flip</c>,
/// <c>gear@1.15</c>, <c>faceres+faceapi</c>; or <c>AGE/GENDER</c> with two such parts when age and gender come from
/// different models, e.g. <c>faceres/faceapi</c> (age by FaceRes, gender by face-api's net). <c>facectl eval age-gender</c>
/// measures them (docs/accuracy.md).
/// </summary>
/// <param name="Source">The model or models (of the age when <paramref name="Gender"/> is set).</param>
/// <param name="Flip">Average the answers for the crop and its mirror image.</param>
/// <param name="CropScale">Zoom of the crop about its centre (1: each model's own framing).</param>
/// <param name="Gender">The variant whose gender is served, when not this one's (its own <see cref="Gender"/> is null).</param>
public sealed record AgeGenderVariant(AgeGenderSource Source = AgeGenderSource.FaceRes, bool Flip = false, float CropScale = 1f, AgeGenderVariant? Gender = null)
{
    /// <summary>The narrowest and widest crop scales accepted.</summary>
    public const float MinCropScale = 0.5f, MaxCropScale = 2f;

    /// <summary>The grammar, for error messages and help texts.</summary>
    public const string Spelling = "SOURCE[+SOURCE...][+flip][@SCALE] with SOURCE faceres, gear, faceapi or ensemble (= faceres+gear) and SCALE 0.5 to 2, or AGE/GENDER with two such parts (age from the first, gender from the second), e.g. ensemble+flip or faceres/faceapi";

    // The single models in the order they are spelled and read.
    private static readonly (AgeGenderSource Source, string Name)[] Names = [(AgeGenderSource.FaceRes, "faceres"), (AgeGenderSource.Gear, "gear"), (AgeGenderSource.FaceApi, "faceapi")];

    /// <summary>FaceRes on its own crop, no flip: what a FaceRes recogniser already answers in its embedding pass.</summary>
    public static AgeGenderVariant Default { get; } = new();

    /// <summary>
    /// True when the variant is exactly the answer of FaceRes's embedding pass, so a FaceRes recogniser's own age and
    /// gender can be served without running anything again.
    /// </summary>
    public bool IsRecogniserPass => Source == AgeGenderSource.FaceRes && !Flip && CropScale == 1f && Gender is null;

    /// <summary>The variant that answers age (this one without <see cref="Gender"/>) and the one that answers gender.</summary>
    public (AgeGenderVariant Age, AgeGenderVariant Gender) Parts => Gender is null ? (this, this) : (this with { Gender = null }, Gender);

    /// <summary>The single models of <paramref name="source"/>, in a fixed order.</summary>
    public static IReadOnlyList<AgeGenderSource> SingleModels(AgeGenderSource source) => [.. Names.Select(n => n.Source).Where(s => (source & s) == s)];

    /// <summary>The name a single model is spelled with (faceres, gear, faceapi).</summary>
    public static string NameOf(AgeGenderSource model) => Names.First(n => n.Source == model).Name;

    /// <summary>Parses <c>SOURCE[+SOURCE…][+flip][@SCALE]</c> or <c>AGE/GENDER</c> of two such parts (case-insensitive).</summary>
    /// <exception cref="FormatException">The text names no such variant.</exception>
    public static AgeGenderVariant Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length > 2)
        {
            throw new FormatException($"'{text}': at most two parts, AGE/GENDER ({Spelling}).");
        }

        var age = ParsePart(text, parts[0]);
        if (parts.Length == 1)
        {
            return age;
        }

        var gender = ParsePart(text, parts[1]);
        return age == gender ? age : age with { Gender = gender };
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
    public override string ToString() => PartText() + (Gender is null ? string.Empty : "/" + Gender.PartText());

    private string PartText() =>
        (Source == AgeGenderSource.Ensemble ? "ensemble" : string.Join("+", SingleModels(Source).Select(NameOf)))
        + (Flip ? "+flip" : string.Empty) + (CropScale == 1f ? string.Empty : "@" + CropScale.ToString("0.###", CultureInfo.InvariantCulture));

    private static AgeGenderVariant ParsePart(string text, string part)
    {
        var rest = part.Trim();
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

        var tokens = rest.Split('+', StringSplitOptions.TrimEntries);
        var flip = tokens.Length > 1 && tokens[^1].Equals("flip", StringComparison.OrdinalIgnoreCase);
        var source = (AgeGenderSource)0;
        foreach (var token in flip ? tokens[..^1] : tokens)
        {
            var named = token.ToLowerInvariant() switch
            {
                "faceres" => AgeGenderSource.FaceRes,
                "gear" => AgeGenderSource.Gear,
                "faceapi" => AgeGenderSource.FaceApi,
                "ensemble" => AgeGenderSource.Ensemble,
                _ => throw new FormatException($"'{text}': '{token}' is no age and gender source; expected {Spelling}."),
            };
            if ((source & named) != 0)
            {
                throw new FormatException($"'{text}': '{token}' names a model twice.");
            }

            source |= named;
        }

        return new AgeGenderVariant(source, flip, scale);
    }
}
