using System.Text.Json.Serialization;
using FacePlatform.Cli.Commands;

namespace FacePlatform.Cli.Reports;

/// <summary>
/// What <c>facectl eval report</c> writes to <c>report.json</c> and draws in <c>report.html</c>: the numbers of
/// <c>eval verify</c>, <c>eval detect</c> and <c>eval attributes</c> on the same photos, plus the curves and
/// per-photo points behind them. Rates that cannot be computed (no pairs, no labels) are null.
/// </summary>
internal sealed record EvalReport(
    DateTimeOffset GeneratedUtc,
    IReadOnlyList<string> Data,
    int? LimitPerDataSet,
    string Model,
    string Crop,
    ReportTiming TimingSeconds,
    VerificationSection Verification,
    DetectionSection Detection,
    AttributeSection Attributes)
{
    /// <summary>The 10-year bands UTKFace (utkface-dev) is balanced over, 90+ merged.</summary>
    public static string AgeBand(float age) => age >= 90 ? "90+" : $"{(int)(age / 10) * 10}-{((int)(age / 10) * 10) + 9}";

    /// <summary>Builds the report from the three runs.</summary>
    public static EvalReport From(IReadOnlyList<string> data, int? limit, VerificationRun verification, DetectionRun detection, AttributeRun attributes) =>
        new(
            DateTimeOffset.UtcNow,
            data,
            limit,
            verification.Model,
            verification.Crop,
            new ReportTiming(verification.Elapsed.TotalSeconds, detection.Elapsed.TotalSeconds, attributes.Elapsed.TotalSeconds),
            VerificationSection.From(verification),
            DetectionSection.From(detection),
            AttributeSection.From(attributes));

    internal static double? Rate(double numerator, double denominator) => denominator > 0 ? numerator / denominator : null;

    internal static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

/// <summary>Wall-clock seconds of each run (one pipeline, one after the other).</summary>
internal sealed record ReportTiming(double Verification, double Detection, double Attributes)
{
    public double Total => Verification + Detection + Attributes;
}

/// <summary>The numbers of <c>eval verify</c> (under the names it prints) and its ROC: one point per distinct score, at most ~500 kept.</summary>
internal sealed record VerificationSection(
    int Photos,
    int NoFace,
    int Pairs,
    int Genuine,
    int Impostor,
    [property: JsonPropertyName("accuracy_10fold")] double? Accuracy10Fold,
    double? AccuracyStd,
    double? Auc,
    [property: JsonPropertyName("tar_at_far_1e-2")] double? TarAtFar1e2,
    [property: JsonPropertyName("tar_at_far_1e-3")] double? TarAtFar1e3,
    double? Threshold,
    IReadOnlyList<RocPoint> Roc)
{
    public static VerificationSection From(VerificationRun run)
    {
        var m = run.Metrics;
        return new VerificationSection(
            run.Photos,
            run.NoFace,
            run.Scored.Count,
            run.Scored.Count(s => s.Same),
            run.Scored.Count(s => !s.Same),
            EvalReport.Finite(m.Accuracy),
            EvalReport.Finite(m.AccuracyStd),
            EvalReport.Finite(m.Auc),
            EvalReport.Finite(m.TarAt1e2),
            EvalReport.Finite(m.TarAt1e3),
            m.Threshold,
            RocPoint.Curve(run.Scored));
    }
}

/// <summary>At <paramref name="Threshold"/> (accept when similarity ≥ it): false accept and true accept rates; FRR = 1 − TAR.</summary>
internal sealed record RocPoint(double Threshold, double Far, double Tar)
{
    public double Frr => 1 - Tar;

    /// <summary>The ROC of scored pairs, thresholds from high to low; thinned to about 500 points (ends kept).</summary>
    public static List<RocPoint> Curve(IReadOnlyList<(float Score, bool Same)> pairs)
    {
        var genuine = pairs.Count(p => p.Same);
        var impostor = pairs.Count - genuine;
        var points = new List<RocPoint>();
        if (genuine == 0 || impostor == 0)
        {
            return points;
        }

        int acceptedGenuine = 0, acceptedImpostor = 0;
        var sorted = pairs.OrderByDescending(p => p.Score).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            if (sorted[i].Same)
            {
                acceptedGenuine++;
            }
            else
            {
                acceptedImpostor++;
            }

            // Ties move together: a point only where the next score is lower.
            if (i + 1 == sorted.Count || sorted[i + 1].Score < sorted[i].Score)
            {
                points.Add(new RocPoint(sorted[i].Score, acceptedImpostor / (double)impostor, acceptedGenuine / (double)genuine));
            }
        }

        var step = Math.Max(1, points.Count / 500);
        return [.. points.Where((_, i) => i % step == 0 || i == points.Count - 1)];
    }
}

/// <summary>The numbers of <c>eval detect</c>, and the photos where fewer faces were found than labelled.</summary>
internal sealed record DetectionSection(
    int Photos,
    int WithCount,
    int ExactCount,
    int FacesExpected,
    int FacesFound,
    int Boxes,
    int BoxesMatched,
    int BoxDetections,
    double? BoxRecall,
    double? BoxPrecision,
    int Noses,
    int NosesHit,
    double? NoseRecall,
    double? NosePrecision,
    IReadOnlyList<DetectionMiss> Misses)
{
    public static DetectionSection From(DetectionRun run) => new(
        run.Photos.Count,
        run.WithCount,
        run.ExactCount,
        run.FacesExpected,
        run.FacesFound,
        run.Boxes,
        run.BoxesMatched,
        run.BoxDetections,
        EvalReport.Rate(run.BoxesMatched, run.Boxes),
        run.Boxes > 0 ? run.BoxesMatched / (double)Math.Max(1, run.BoxDetections) : null,
        run.Noses,
        run.NosesHit,
        EvalReport.Rate(run.NosesHit, run.Noses),
        run.Noses > 0 ? run.DetectionsOnNoses / (double)Math.Max(1, run.NoseDetections) : null,
        [.. run.Photos.Where(DetectionMiss.IsMiss).Select(o => new DetectionMiss(o.Photo.Path, o.Photo.FaceCount ?? o.Photo.Boxes.Count, o.Found.Count, o.Rejected))]);
}

/// <summary>A photo with fewer faces found than labelled (or refused: <paramref name="Rejected"/>).</summary>
internal sealed record DetectionMiss(string Path, int Expected, int Found, string? Rejected)
{
    public static bool IsMiss(DetectionOutcome o) =>
        o.Rejected is not null || o.Found.Count < (o.Photo.FaceCount ?? o.Photo.Boxes.Count);
}

/// <summary>The numbers of <c>eval attributes</c>, the gender confusion matrix, per-band errors and the age scatter.</summary>
internal sealed record AttributeSection(
    int Photos,
    int NoFace,
    int Genders,
    int GendersRight,
    double? GenderAccuracy,
    int Ages,
    double? AgeMae,
    double? AgeMaeHumanFormula,
    GenderConfusion GenderConfusion,
    IReadOnlyList<AgeBandRow> ByBand,
    IReadOnlyList<AgePoint> AgeScatter)
{
    public static AttributeSection From(AttributeRun run)
    {
        var bands = run.Photos.Where(p => p.Photo.Age is not null)
            .GroupBy(p => p.Photo.Age!.Value >= 90 ? 9 : (int)(p.Photo.Age.Value / 10))
            .OrderBy(g => g.Key)
            .Select(g => AgeBandRow.From(EvalReport.AgeBand(g.Key * 10), [.. g]))
            .ToList();
        return new AttributeSection(
            run.Photos.Count,
            run.Photos.Count(p => !p.FaceFound),
            run.Genders,
            run.GendersRight,
            EvalReport.Rate(run.GendersRight, run.Genders),
            run.Ages,
            run.Ages > 0 ? run.AgeMae : null,
            run.Ages > 0 ? EvalReport.Finite(run.AgeMaeHumanFormula) : null,
            GenderConfusion.From(run),
            bands,
            [.. run.Photos.Where(p => p.FaceFound && p.Photo.Age is not null && p.Age is not null).Select(p => new AgePoint(p.Photo.Path, p.Photo.Age!.Value, p.Age!.Value))]);
    }
}

/// <summary>Photos by labelled gender (rows) and predicted gender (columns; the last column: no face found).</summary>
internal sealed record GenderConfusion(IReadOnlyList<string> Labels, IReadOnlyList<string> Predicted, IReadOnlyList<IReadOnlyList<int>> Counts)
{
    public const string NoFace = "no face";

    public static GenderConfusion From(AttributeRun run)
    {
        var gendered = run.Photos.Where(p => p.Photo.Gender is not null).ToList();
        var labels = gendered.Select(p => p.Photo.Gender!).Concat(gendered.Where(p => p.Gender is not null).Select(p => p.Gender!))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        List<string> predicted = [.. labels, NoFace];
        var counts = labels.Select(label => (IReadOnlyList<int>)[.. predicted.Select(column => gendered.Count(p =>
            p.Photo.Gender == label && (column == NoFace ? !p.FaceFound : p.FaceFound && p.Gender == column)))]).ToList();
        return new GenderConfusion(labels, predicted, counts);
    }
}

/// <summary>One 10-year band of labelled age: age MAE and gender accuracy of the photos whose face was found.</summary>
internal sealed record AgeBandRow(string Band, int Photos, int Ages, double? AgeMae, int Genders, double? GenderAccuracy)
{
    public static AgeBandRow From(string band, IReadOnlyList<AttributeOutcome> photos)
    {
        var aged = photos.Where(p => p.FaceFound && p.Age is not null).ToList();
        var gendered = photos.Where(p => p.FaceFound && p.Photo.Gender is not null).ToList();
        return new AgeBandRow(
            band,
            photos.Count,
            aged.Count,
            aged.Count > 0 ? aged.Average(p => (double)Math.Abs(p.Age!.Value - p.Photo.Age!.Value)) : null,
            gendered.Count,
            EvalReport.Rate(gendered.Count(p => p.Gender == p.Photo.Gender), gendered.Count));
    }
}

/// <summary>Labelled and predicted age of one photo.</summary>
internal sealed record AgePoint(string Path, float Age, float Predicted);
