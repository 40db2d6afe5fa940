using System.CommandLine;
using System.Diagnostics;
using System.Drawing;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// The measurement loops of <c>facectl eval verify|detect|attributes</c>, apart from their printing, so that
/// <c>facectl eval report</c> draws its figures from exactly the numbers the text commands print.
/// </summary>
internal static class EvalRuns
{
    /// <summary>Photos <c>eval verify</c> pairs up: an identity label and exactly one face.</summary>
    public static List<LabelledPhoto> VerificationPhotos(IEnumerable<LabelledPhoto> photos) =>
        [.. photos.Where(p => !p.IsMalformed && p.Identity is not null && p.FaceCount == 1)];

    /// <summary>Photos <c>eval detect</c> scores: a face count or face boxes.</summary>
    public static List<LabelledPhoto> DetectionPhotos(IEnumerable<LabelledPhoto> photos) =>
        [.. photos.Where(p => !p.IsMalformed && (p.FaceCount is not null || p.Boxes.Count > 0))];

    /// <summary>Photos <c>eval attributes</c> scores: an age or gender label and exactly one face.</summary>
    public static List<LabelledPhoto> AttributePhotos(IEnumerable<LabelledPhoto> photos) =>
        [.. photos.Where(p => !p.IsMalformed && (p.Age is not null || p.Gender is not null) && p.FaceCount == 1)];

    /// <summary>Every pair of photos, genuine when the identities match, except the same photo at several resolutions.</summary>
    public static List<(int A, int B, bool Same)> IdentityPairs(IReadOnlyList<LabelledPhoto> photos)
    {
        var pairs = new List<(int A, int B, bool Same)>();
        for (var a = 0; a < photos.Count; a++)
        {
            for (var b = a + 1; b < photos.Count; b++)
            {
                // The same photo at several resolutions is not an independent pair.
                if (photos[a].SamePhotoGroup is { } g && g == photos[b].SamePhotoGroup)
                {
                    continue;
                }

                pairs.Add((a, b, photos[a].Identity == photos[b].Identity));
            }
        }

        return pairs;
    }

    /// <summary>Embeds each photo's first face and scores the pairs whose both photos gave one.</summary>
    public static async Task<VerificationRun> VerifyAsync(
        ParseResult parse, InProcessPipeline pipeline, IReadOnlyList<LabelledPhoto> photos, IReadOnlyList<(int A, int B, bool Same)> pairs, bool humanCrop, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        var analyzer = pipeline.Analyzer;
        var request = new AnalysisRequest { Embed = true, Attributes = AttributeKinds.None };
        var embeddings = new FaceEmbedding?[photos.Count];
        var progress = new ProgressBar(photos.Count);
        await Parallel.ForEachAsync(Enumerable.Range(0, photos.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(InProcessPipeline.ParallelOption)), CancellationToken = token }, async (i, ct) =>
        {
            try
            {
                var bytes = await File.ReadAllBytesAsync(photos[i].Path, ct);
                if (humanCrop)
                {
                    using var image = ImageDecoder.Decode(bytes);
                    var faces = await analyzer.Detector.DetectAsync(image, 1, 0, ct);
                    if (faces.Count > 0)
                    {
                        embeddings[i] = (await HumanCropRecogniser(analyzer).EmbedHumanCropsAsync(image, faces, ct))[0].Embedding;
                    }
                }
                else
                {
                    var analysis = await analyzer.AnalyzeAsync(bytes, request, ct);
                    embeddings[i] = analysis.Faces.Count > 0 ? analysis.Faces[0].Embedding : null;
                }
            }
            catch (ImageRejectedException)
            {
                embeddings[i] = null;
            }

            lock (progress)
            {
                progress.Advance();
            }
        });
        progress.Done();

        var scored = pairs.Where(p => embeddings[p.A] is not null && embeddings[p.B] is not null)
            .Select(p => (Score: embeddings[p.A]!.Similarity(embeddings[p.B]!), p.Same))
            .ToList();
        var crop = humanCrop ? "human-crop" : $"{analyzer.Recogniser.Template.Name}/{analyzer.Recogniser.Mode.ToString().ToLowerInvariant()}";
        return new VerificationRun(analyzer.Recogniser.ModelId, crop, photos.Count, embeddings.Count(e => e is null), scored, VerificationMetrics.Compute(scored), clock.Elapsed);
    }

    /// <summary>Detects faces on each photo and matches them against its labels; <paramref name="onPhoto"/> sees each as it is done.</summary>
    public static async Task<DetectionRun> DetectAsync(
        InProcessPipeline pipeline, IReadOnlyList<LabelledPhoto> photos, Action<DetectionOutcome>? onPhoto, CancellationToken token, bool greyscale = false)
    {
        var clock = Stopwatch.StartNew();
        var request = new AnalysisRequest { Embed = false, Attributes = AttributeKinds.None };
        var outcomes = new List<DetectionOutcome>();
        foreach (var photo in photos)
        {
            DetectionOutcome outcome;
            try
            {
                using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(photo.Path, token));
                if (greyscale)
                {
                    MakeGrey(image);
                }

                var analysis = await pipeline.Analyzer.AnalyzeAsync(image, request, token);
                var boxes = analysis.Faces.Select(f => f.Detection.Box).ToList();
                outcome = new DetectionOutcome(
                    photo,
                    boxes,
                    null,
                    photo.Boxes.Count > 0 ? EvalCommand.Match(photo.Boxes, boxes) : 0,
                    photo.NosePoints.Count(n => boxes.Any(b => b.Contains(n))),
                    photo.NosePoints.Count > 0 ? boxes.Count(b => photo.NosePoints.Any(b.Contains)) : 0);
            }
            catch (ImageRejectedException ex)
            {
                outcome = new DetectionOutcome(photo, [], ex.CodeText, 0, 0, 0);
            }

            outcomes.Add(outcome);
            onPhoto?.Invoke(outcome);
        }

        return new DetectionRun(outcomes, clock.Elapsed);
    }

    /// <summary>Replaces each pixel by its BT.601 luma, as a greyscale photo decodes.</summary>
    private static void MakeGrey(RgbImage image)
    {
        var pixels = image.Pixels;
        for (var i = 0; i + 2 < pixels.Length; i += 3)
        {
            var grey = (byte)Math.Clamp(Math.Round((0.299 * pixels[i]) + (0.587 * pixels[i + 1]) + (0.114 * pixels[i + 2])), 0, 255);
            pixels[i] = pixels[i + 1] = pixels[i + 2] = grey;
        }
    }

    /// <summary>Predicts age and gender on each photo's first face (and the Human readout of the same age bins).</summary>
    public static async Task<AttributeRun> AttributesAsync(InProcessPipeline pipeline, IReadOnlyList<LabelledPhoto> photos, Action<AttributeOutcome>? onPhoto, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        var analyzer = pipeline.Analyzer;
        var outcomes = new List<AttributeOutcome>();
        foreach (var photo in photos)
        {
            using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(photo.Path, token));
            var faces = await analyzer.Detector.DetectAsync(image, 1, 0, token);
            AttributeOutcome outcome;
            if (faces.Count == 0)
            {
                outcome = new AttributeOutcome(photo, false, null, null, null, float.NaN);
            }
            else
            {
                using var crop = analyzer.Recogniser.Align(image, faces[0]);
                var attributes = (await analyzer.Attributes!.PredictAsync([new FramedCrop(crop, analyzer.Recogniser.Template)], AttributeKinds.Age | AttributeKinds.Gender, null, token))[0];
                // The Human readout of the same bins, for the comparison in docs/accuracy.md.
                var bins = await HumanReadoutAsync(analyzer, crop, token);
                outcome = new AttributeOutcome(photo, true, attributes.Age, attributes.Gender, attributes.GenderProbability, bins);
            }

            outcomes.Add(outcome);
            onPhoto?.Invoke(outcome);
        }

        return new AttributeRun(outcomes, clock.Elapsed);
    }

    /// <summary>Human's own crop is a FaceRes comparison: the recogniser class that reproduces it.</summary>
    private static FaceRecogniser HumanCropRecogniser(FaceAnalyzer analyzer) =>
        analyzer.Recogniser as FaceRecogniser ?? throw new InvalidOperationException($"Human's crop is reproduced for the built-in recognisers only, not for '{analyzer.Recogniser.ModelId}'.");

    private static async Task<float> HumanReadoutAsync(FaceAnalyzer analyzer, RgbImage crop, CancellationToken token)
    {
        // Human's readout exists for FaceRes's own age bins only.
        if (analyzer.Recogniser is not FaceRecogniser { IsMultiTask: true } own)
        {
            return float.NaN;
        }

        var human = new FaceRecogniser(own.Runner, own.Template, own.Mode, AgeReadout.Human);
        return (await human.EmbedAsync([crop], token))[0].AgeGender!.Age;
    }
}

/// <summary>Scored pairs of <c>eval verify</c>: <paramref name="NoFace"/> photos gave no embedding and are left out.</summary>
internal sealed record VerificationRun(string Model, string Crop, int Photos, int NoFace, IReadOnlyList<(float Score, bool Same)> Scored, VerificationMetrics Metrics, TimeSpan Elapsed);

/// <summary>One photo of <c>eval detect</c>: the faces found (none when <paramref name="Rejected"/> names why the image was refused).</summary>
internal sealed record DetectionOutcome(LabelledPhoto Photo, IReadOnlyList<RectangleF> Found, string? Rejected, int BoxesMatched, int NosesHit, int DetectionsOnNoses);

/// <summary>All photos of <c>eval detect</c> and the totals it prints.</summary>
internal sealed record DetectionRun(IReadOnlyList<DetectionOutcome> Photos, TimeSpan Elapsed)
{
    private IEnumerable<DetectionOutcome> Decoded => Photos.Where(p => p.Rejected is null);

    public int WithCount => Photos.Count(p => p.Photo.FaceCount is not null);

    public int ExactCount => Decoded.Count(p => p.Photo.FaceCount is { } c && c == p.Found.Count);

    public int FacesExpected => Decoded.Sum(p => p.Photo.FaceCount ?? 0);

    public int FacesFound => Decoded.Where(p => p.Photo.FaceCount is not null).Sum(p => p.Found.Count);

    public int Boxes => Decoded.Sum(p => p.Photo.Boxes.Count);

    public int BoxesMatched => Decoded.Sum(p => p.BoxesMatched);

    public int BoxDetections => Decoded.Where(p => p.Photo.Boxes.Count > 0).Sum(p => p.Found.Count);

    public int Noses => Decoded.Sum(p => p.Photo.NosePoints.Count);

    public int NosesHit => Decoded.Sum(p => p.NosesHit);

    public int NoseDetections => Decoded.Where(p => p.Photo.NosePoints.Count > 0).Sum(p => p.Found.Count);

    public int DetectionsOnNoses => Decoded.Sum(p => p.DetectionsOnNoses);
}

/// <summary>One photo of <c>eval attributes</c>; <paramref name="HumanAge"/> is the Human 3.3.6 readout of the same age bins.</summary>
internal sealed record AttributeOutcome(LabelledPhoto Photo, bool FaceFound, float? Age, string? Gender, float? GenderProbability, float HumanAge);

/// <summary>All photos of <c>eval attributes</c> and the totals it prints.</summary>
internal sealed record AttributeRun(IReadOnlyList<AttributeOutcome> Photos, TimeSpan Elapsed)
{
    private IEnumerable<AttributeOutcome> Gendered => Photos.Where(p => p.FaceFound && p.Photo.Gender is not null);

    private IEnumerable<AttributeOutcome> Aged => Photos.Where(p => p.FaceFound && p.Photo.Age is not null && p.Age is not null);

    public int Genders => Gendered.Count();

    public int GendersRight => Gendered.Count(p => p.Gender == p.Photo.Gender);

    public int Ages => Aged.Count();

    public double AgeMae => Aged.Sum(p => (double)Math.Abs(p.Age!.Value - p.Photo.Age!.Value)) / Math.Max(1, Ages);

    public double AgeMaeHumanFormula => Aged.Sum(p => (double)Math.Abs(p.HumanAge - p.Photo.Age!.Value)) / Math.Max(1, Ages);
}
