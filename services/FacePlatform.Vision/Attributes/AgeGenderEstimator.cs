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
/// Age and gender by an <see cref="AgeGenderVariant"/>: FaceRes, GEAR and/or face-api's age-gender net on the face's
/// crop re-cut at the variant's scale, optionally with its mirror image in the same batch, combined by plain means
/// (nothing fitted); a mixed variant takes the age from one part and the gender from the other.
/// </summary>
public sealed class AgeGenderEstimator
{
    // Human 3.3.6's weights of GEAR's seven age groups (<20, 21-25, 26-30, 31-40, 41-50, 51-60, >60).
    private static readonly float[] GearGroupAges = [15f, 23f, 28f, 35.5f, 45.5f, 55.5f, 65f];

    // Human cuts GEAR's input as [top 0, left 0.1, bottom 0.9, right 0.9] of its face box, a 0.8 × 0.9 rectangle
    // stretched to 198². A similarity cannot stretch, so this takes the square of side 0.85 with the same centre
    // (0.5, 0.45): within 6 % of Human's framing on either axis.
    private const float GearSide = 0.85f, GearCentreY = 0.45f;

    // face-api.js cuts its age-gender input from the detection box itself (padded to a square, resized to 112²), not
    // from the box ×1.4 of Human's framing: its scale 1 is the centre square of side 1/1.4 of that framing (the detector
    // box). Wider crops are measured as faceapi@1.2 and faceapi@1.4 (docs/accuracy.md, "Age and gender variants").
    private const float FaceApiSide = 1 / 1.4f;

    private readonly ModelRunner? _faceRes;
    private readonly ModelRunner? _gear;
    private readonly ModelRunner? _faceApi;
    private readonly AgeReadout _readout;

    /// <summary>Creates the estimator; any model may be absent (variants that need it are then refused).</summary>
    /// <param name="faceRes">FaceRes (outputs <c>age</c> over 100 bins and <c>gender</c>).</param>
    /// <param name="gear">GEAR (outputs <c>age</c> over 7 groups and <c>gender</c> [male, female]).</param>
    /// <param name="readout">How FaceRes's age bins are read.</param>
    /// <param name="faceApi">face-api's age-gender net (outputs <c>age</c> in years and <c>gender</c> [male, female]).</param>
    public AgeGenderEstimator(ModelRunner? faceRes, ModelRunner? gear, AgeReadout readout = AgeReadout.Expected, ModelRunner? faceApi = null)
    {
        _faceRes = faceRes;
        _gear = gear;
        _faceApi = faceApi;
        _readout = readout;
    }

    /// <summary>The manifest id of face-api's age-gender net.</summary>
    public const string FaceApiModel = "faceapi-age-gender";

    /// <summary>The manifest id each single model is loaded from (FaceRes: the recogniser's own model, named by the caller).</summary>
    public static string? ModelNameOf(AgeGenderSource model) => model switch
    {
        AgeGenderSource.Gear => "gear",
        AgeGenderSource.FaceApi => FaceApiModel,
        _ => null,
    };

    /// <summary>True when the models <paramref name="variant"/> needs are present.</summary>
    public bool Supports(AgeGenderVariant variant) => MissingFor(variant).Count == 0;

    /// <summary>The models <paramref name="variant"/> needs that are not loaded (manifest ids where fixed, else source names).</summary>
    public IReadOnlyList<string> MissingFor(AgeGenderVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return [.. SourcesOf(variant).Where(s => RunnerFor(s) is null).Select(s => ModelNameOf(s) ?? AgeGenderVariant.NameOf(s))];
    }

    /// <summary>The model ids that answer <paramref name="variant"/>.</summary>
    public IReadOnlyList<string> ModelIdsFor(AgeGenderVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return [.. SourcesOf(variant).Select(s => RunnerFor(s)?.Model.Name ?? AgeGenderVariant.NameOf(s))];
    }

    /// <summary>The single models a variant runs (both parts of a mixed one), each once.</summary>
    public static IReadOnlyList<AgeGenderSource> SourcesOf(AgeGenderVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return AgeGenderVariant.SingleModels(variant.Source | (variant.Gender?.Source ?? 0));
    }

    /// <summary>
    /// The readings <paramref name="variant"/> combines: each single model at each crop scale once, with the mirror
    /// images when a part that uses it flips.
    /// </summary>
    public static IReadOnlyList<(AgeGenderSource Source, float CropScale, bool Mirrored)> ReadingsOf(AgeGenderVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        var (age, gender) = variant.Parts;
        return [.. new[] { age, gender }.Distinct()
            .SelectMany(p => AgeGenderVariant.SingleModels(p.Source).Select(s => (Source: s, p.CropScale, p.Flip)))
            .GroupBy(r => (r.Source, r.CropScale))
            .Select(g => (g.Key.Source, g.Key.CropScale, g.Any(r => r.Flip)))];
    }

    /// <summary>Age and gender of every crop by <paramref name="variant"/>, each reading's crops in one batch.</summary>
    /// <exception cref="InvalidOperationException">A model the variant needs is not loaded.</exception>
    public async Task<IReadOnlyList<AgeGender>> EstimateAsync(IReadOnlyList<FramedCrop> crops, AgeGenderVariant variant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        ArgumentNullException.ThrowIfNull(variant);
        var readings = ReadingsOf(variant);
        var read = await Task.WhenAll(readings.Select(r => ReadAsync(crops, r.Source, r.CropScale, r.Mirrored, cancellationToken)));
        var byKey = readings.Select((r, i) => (Key: (r.Source, r.CropScale), Reading: read[i])).ToDictionary(x => x.Key, x => x.Reading);
        return Combine(variant, key => byKey[key]);
    }

    /// <summary>
    /// The answers of <paramref name="variant"/> from single-model readings at crop scale 1 (a test's view of
    /// <see cref="Combine(AgeGenderVariant, Func{ValueTuple{AgeGenderSource, float}, AgeGenderReading})"/>).
    /// </summary>
    public static IReadOnlyList<AgeGender> Combine(AgeGenderVariant variant, IReadOnlyList<(AgeGenderSource Source, AgeGenderReading Reading)> readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        return Combine(variant, key => readings.First(r => r.Source == key.Item1).Reading);
    }

    /// <summary>
    /// The answers of <paramref name="variant"/> from its readings (<paramref name="reading"/>: a single model at a crop
    /// scale): per model the mean of the plain and mirrored answers when the part flips, then the mean over the part's
    /// models; a mixed variant takes the age from its age part and the male probability from its gender part.
    /// </summary>
    public static IReadOnlyList<AgeGender> Combine(AgeGenderVariant variant, Func<(AgeGenderSource Source, float CropScale), AgeGenderReading> reading)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(reading);
        var (agePart, genderPart) = variant.Parts;
        var age = CombinePart(agePart, reading);
        if (variant.Gender is null)
        {
            return age;
        }

        var gender = CombinePart(genderPart, reading);
        return [.. age.Zip(gender, (a, g) => new AgeGender(a.Age, g.MaleProbability))];
    }

    private static IReadOnlyList<AgeGender> CombinePart(AgeGenderVariant part, Func<(AgeGenderSource Source, float CropScale), AgeGenderReading> reading)
    {
        var answers = AgeGenderVariant.SingleModels(part.Source).Select(s =>
        {
            var read = reading((s, part.CropScale));
            if (!part.Flip)
            {
                return read.Plain;
            }

            var mirrored = read.Mirrored ?? throw new ArgumentException($"The {AgeGenderVariant.NameOf(s)} reading has no mirrored answers, which {part} needs.", nameof(reading));
            return Mean([read.Plain, mirrored]);
        }).ToList();
        return answers.Count == 1 ? answers[0] : Mean(answers);
    }

    /// <summary>
    /// One model (<see cref="AgeGenderSource.FaceRes"/>, <see cref="AgeGenderSource.Gear"/> or <see cref="AgeGenderSource.FaceApi"/>) on the crops at
    /// <paramref name="cropScale"/>, and on their mirror images in the same batch when <paramref name="mirrored"/>.
    /// </summary>
    public async Task<AgeGenderReading> ReadAsync(IReadOnlyList<FramedCrop> crops, AgeGenderSource model, float cropScale, bool mirrored, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        if (AgeGenderVariant.SingleModels(model).Count != 1)
        {
            throw new ArgumentException("Several models are read model by model.", nameof(model));
        }

        var runner = RunnerFor(model) ?? throw new InvalidOperationException($"The {AgeGenderVariant.NameOf(model)} model is not loaded; age and gender by it cannot be served.");
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
    /// The model's input pixel → the crop's pixel: Human's face framing at the input size (GEAR, face-api: their
    /// sub-squares of it), zoomed by <paramref name="cropScale"/> about the centre. Every step keeps the vertical centre line, so the
    /// mirror image of the crop gives the mirror image of the input.
    /// </summary>
    private static SimilarityTransform InputToCrop(FramedCrop crop, AgeGenderSource model, int size, float cropScale)
    {
        var framing = AlignmentTemplate.HumanBox.ToCrop(crop.Template, crop.Image.Width, size);
        if (model == AgeGenderSource.Gear)
        {
            framing = framing.Compose(new SimilarityTransform(GearSide, 0, (0.5f - (GearSide / 2)) * size, (GearCentreY - (GearSide / 2)) * size));
        }
        else if (model == AgeGenderSource.FaceApi)
        {
            framing = framing.Compose(new SimilarityTransform(FaceApiSide, 0, (1 - FaceApiSide) / 2 * size, (1 - FaceApiSide) / 2 * size));
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

        if (model == AgeGenderSource.FaceApi)
        {
            // face-api.js: the age regression as it is, male when the softmax's first value is above 0.5.
            var softmax = outputs.Row("gender", i);
            return new AgeGender(outputs.Row("age", i)[0], softmax[0] / MathF.Max(softmax[0] + softmax[1], float.Epsilon));
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
        AgeGenderSource.FaceApi => _faceApi,
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
