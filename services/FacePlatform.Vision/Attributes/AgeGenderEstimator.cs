using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Geometry;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Recognition;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Attributes;

/// <summary>One model's answers for a batch of crops, and for their mirror images when asked.</summary>
/// <param name="Plain">Per crop, as cut.</param>
/// <param name="Mirrored">Per crop, mirrored left-right; null when not asked.</param>
public sealed record AgeGenderReading(IReadOnlyList<AgeGender> Plain, IReadOnlyList<AgeGender>? Mirrored);

/// <summary>
/// Age and gender by an <see cref="AgeGenderVariant"/>: FaceRes and/or GEAR on the face's crop re-cut at the variant's
/// scale, optionally with its mirror image in the same batch, combined by plain means (nothing fitted).
/// </summary>
public sealed class AgeGenderEstimator
{
    // Human 3.3.6's weights of GEAR's seven age groups (<20, 21-25, 26-30, 31-40, 41-50, 51-60, >60).
    private static readonly float[] GearGroupAges = [15f, 23f, 28f, 35.5f, 45.5f, 55.5f, 65f];

    // Human cuts GEAR's input as [top 0, left 0.1, bottom 0.9, right 0.9] of its face box, a 0.8 × 0.9 rectangle
    // stretched to 198². A similarity cannot stretch, so this takes the square of side 0.85 with the same centre
    // (0.5, 0.45): within 6 % of Human's framing on either axis.
    private const float GearSide = 0.85f, GearCentreY = 0.45f;

    private readonly ModelRunner? _faceRes;
    private readonly ModelRunner? _gear;
    private readonly AgeReadout _readout;

    /// <summary>Creates the estimator; either model may be absent (variants that need it are then refused).</summary>
    /// <param name="faceRes">FaceRes (outputs <c>age</c> over 100 bins and <c>gender</c>).</param>
    /// <param name="gear">GEAR (outputs <c>age</c> over 7 groups and <c>gender</c> [male, female]).</param>
    /// <param name="readout">How FaceRes's age bins are read.</param>
    public AgeGenderEstimator(ModelRunner? faceRes, ModelRunner? gear, AgeReadout readout = AgeReadout.Expected)
    {
        _faceRes = faceRes;
        _gear = gear;
        _readout = readout;
    }

    /// <summary>True when the models <paramref name="variant"/> needs are present.</summary>
    public bool Supports(AgeGenderVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return SourcesOf(variant).All(s => RunnerFor(s) is not null);
    }

    /// <summary>The model ids that answer <paramref name="variant"/>.</summary>
    public IReadOnlyList<string> ModelIdsFor(AgeGenderVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return [.. SourcesOf(variant).Select(s => RunnerFor(s)?.Model.Name ?? s.ToString().ToLowerInvariant())];
    }

    /// <summary>The single models a variant combines: FaceRes, GEAR, or both.</summary>
    public static IReadOnlyList<AgeGenderSource> SourcesOf(AgeGenderVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return variant.Source switch
        {
            AgeGenderSource.Ensemble => [AgeGenderSource.FaceRes, AgeGenderSource.Gear],
            var single => [single],
        };
    }

    /// <summary>Age and gender of every crop by <paramref name="variant"/>, each model's crops in one batch.</summary>
    /// <exception cref="InvalidOperationException">A model the variant needs is not loaded.</exception>
    public async Task<IReadOnlyList<AgeGender>> EstimateAsync(IReadOnlyList<FramedCrop> crops, AgeGenderVariant variant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        ArgumentNullException.ThrowIfNull(variant);
        var sources = SourcesOf(variant);
        var readings = await Task.WhenAll(sources.Select(s => ReadAsync(crops, s, variant.CropScale, variant.Flip, cancellationToken)));
        return Combine(variant, [.. sources.Zip(readings)]);
    }

    /// <summary>
    /// The answers of one single model for <paramref name="variant"/>'s readings: per model the mean of the plain and
    /// mirrored answers when it flips, then the mean over the models.
    /// </summary>
    public static IReadOnlyList<AgeGender> Combine(AgeGenderVariant variant, IReadOnlyList<(AgeGenderSource Source, AgeGenderReading Reading)> readings)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(readings);
        var parts = SourcesOf(variant).Select(s =>
        {
            var reading = readings.First(r => r.Source == s).Reading;
            if (!variant.Flip)
            {
                return reading.Plain;
            }

            var mirrored = reading.Mirrored ?? throw new ArgumentException($"The {s} reading has no mirrored answers, which {variant} needs.", nameof(readings));
            return Mean([reading.Plain, mirrored]);
        }).ToList();
        return parts.Count == 1 ? parts[0] : Mean(parts);
    }

    /// <summary>
    /// One model (<see cref="AgeGenderSource.FaceRes"/> or <see cref="AgeGenderSource.Gear"/>) on the crops at
    /// <paramref name="cropScale"/>, and on their mirror images in the same batch when <paramref name="mirrored"/>.
    /// </summary>
    public async Task<AgeGenderReading> ReadAsync(IReadOnlyList<FramedCrop> crops, AgeGenderSource model, float cropScale, bool mirrored, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        if (model == AgeGenderSource.Ensemble)
        {
            throw new ArgumentException("An ensemble is read model by model.", nameof(model));
        }

        var runner = RunnerFor(model) ?? throw new InvalidOperationException($"The {model.ToString().ToLowerInvariant()} model is not loaded; age and gender by it cannot be served.");
        if (crops.Count == 0)
        {
            return new AgeGenderReading([], mirrored ? [] : null);
        }

        var mirrors = mirrored ? crops.Select(c => Mirror(c.Image)).ToList() : null;
        try
        {
            var size = runner.Model.InputWidth;
            var count = crops.Count;
            var outputs = await runner.RunAsync(mirrored ? 2 * count : count, (i, sample) =>
            {
                var crop = crops[i % count];
                var image = i < count ? crop.Image : mirrors![i - count];
                ImageSampler.Warp(image, InputToCrop(crop, model, size, cropScale), size, size, runner.Model.Format, sample);
            }, cancellationToken);
            var answers = Enumerable.Range(0, outputs.Count).Select(i => Read(model, outputs, i)).ToList();
            return new AgeGenderReading(answers[..count], mirrored ? answers[count..] : null);
        }
        finally
        {
            foreach (var image in mirrors ?? [])
            {
                image.Dispose();
            }
        }
    }

    /// <summary>
    /// The model's input pixel → the crop's pixel: Human's face framing at the input size (GEAR: its sub-square of
    /// it), zoomed by <paramref name="cropScale"/> about the centre. Every step keeps the vertical centre line, so the
    /// mirror image of the crop gives the mirror image of the input.
    /// </summary>
    private static SimilarityTransform InputToCrop(FramedCrop crop, AgeGenderSource model, int size, float cropScale)
    {
        var framing = AlignmentTemplate.HumanBox.ToCrop(crop.Template, crop.Image.Width, size);
        if (model == AgeGenderSource.Gear)
        {
            framing = framing.Compose(new SimilarityTransform(GearSide, 0, (0.5f - (GearSide / 2)) * size, (GearCentreY - (GearSide / 2)) * size));
        }

        var half = size / 2f;
        return framing.Compose(new SimilarityTransform(cropScale, 0, (1 - cropScale) * half, (1 - cropScale) * half));
    }

    private AgeGender Read(AgeGenderSource model, ModelOutputs outputs, int i)
    {
        if (model == AgeGenderSource.FaceRes)
        {
            return AgeGender.From(outputs.Row("age", i), outputs.Row("gender", i)[0], _readout);
        }

        var groups = outputs.Row("age", i);
        double age = 0, weight = 0;
        for (var k = 0; k < groups.Length && k < GearGroupAges.Length; k++)
        {
            age += groups[k] * GearGroupAges[k];
            weight += groups[k];
        }

        var gender = outputs.Row("gender", i);
        var male = gender[0] / MathF.Max(gender[0] + gender[1], float.Epsilon);
        return new AgeGender(weight > 0 ? (float)(age / weight) : 0, male);
    }

    private ModelRunner? RunnerFor(AgeGenderSource model) => model switch
    {
        AgeGenderSource.FaceRes => _faceRes,
        AgeGenderSource.Gear => _gear,
        _ => null,
    };

    private static List<AgeGender> Mean(List<IReadOnlyList<AgeGender>> parts) =>
        [.. Enumerable.Range(0, parts[0].Count).Select(i => new AgeGender(parts.Average(p => p[i].Age), parts.Average(p => p[i].MaleProbability)))];

    private static RgbImage Mirror(RgbImage image)
    {
        var mirror = RgbImage.Rent(image.Width, image.Height);
        var source = image.Pixels;
        var target = mirror.Pixels;
        var stride = image.Stride;
        for (var y = 0; y < image.Height; y++)
        {
            var row = y * stride;
            for (var x = 0; x < image.Width; x++)
            {
                var from = row + (x * 3);
                var to = row + ((image.Width - 1 - x) * 3);
                target[to] = source[from];
                target[to + 1] = source[from + 1];
                target[to + 2] = source[from + 2];
            }
        }

        return mirror;
    }
}
