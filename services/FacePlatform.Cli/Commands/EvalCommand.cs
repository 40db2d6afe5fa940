using System.CommandLine;
using System.Globalization;
using FacePlatform.Vision.Geometry;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl eval verify|detect|attributes DATA...</c>: accuracy of the in-process pipeline on labelled photos
/// (folders holding a <c>manifest.json</c>, or a folder of such folders).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Measure accuracy on labelled photos") { Verify(), Detect(), AttributesCommand(), SmallFacesCommand.Create(), OpenSetCommands.Calibrate(), OpenSetCommands.Identify(), EvalReportCommand.Create(), FaceApiAgeGenderCommand.Create(), AgeGenderEvalCommand.Create() };
        return eval;
    }

    private static Argument<string[]> DataArgument() => new("DATA")
    {
        Description = "Data set folders with manifest.json (or a folder of them, e.g. ../shared/data/faces)",
        Arity = ArgumentArity.OneOrMore,
    };

    private static Command Verify()
    {
        var data = DataArgument();
        var pairs = new Option<string?>("--pairs") { Description = "LFW-style pairs.txt (names relative to the first DATA folder) instead of identity labels" };
        var humanCrop = new Option<bool>("--human-crop") { Description = "FaceRes only: Human 3.3.6's exact unaligned crop instead of the aligned one" };
        var command = new Command("verify", "Face verification: 10-fold accuracy, ROC AUC, TAR at FAR 1e-2/1e-3, threshold") { data, pairs, humanCrop };
        InProcessPipeline.AddTo(command);
        command.SetAction((parse, token) => VerifyAsync(parse, parse.GetRequiredValue(data), parse.GetValue(pairs), parse.GetValue(humanCrop), token));
        return command;
    }

    private static Command Detect()
    {
        var data = DataArgument();
        var greyscale = new Option<bool>("--greyscale") { Description = "Turn every photo grey (ITU-R BT.601 luma in all three channels) before detection" };
        var command = new Command("detect", "Face detection: counts, and recall/precision at IoU 0.5 where boxes exist") { data, greyscale };
        InProcessPipeline.AddTo(command);
        command.SetAction((parse, token) => DetectAsync(parse, parse.GetRequiredValue(data), parse.GetValue(greyscale), token));
        return command;
    }

    private static Command AttributesCommand()
    {
        var data = DataArgument();
        var command = new Command("attributes", "Gender accuracy and age MAE on photos labelled with them") { data };
        InProcessPipeline.AddTo(command);
        command.SetAction((parse, token) => AttributesAsync(parse, parse.GetRequiredValue(data), token));
        return command;
    }

    private static async Task<int> VerifyAsync(ParseResult parse, string[] data, string? pairsFile, bool humanCrop, CancellationToken token)
    {
        var photos = EvalRuns.VerificationPhotos(LabelledPhoto.Load(data));
        List<(int A, int B, bool Same)> pairs;
        if (pairsFile is not null)
        {
            (photos, pairs) = ReadLfwPairs(pairsFile, data[0]);
        }
        else
        {
            pairs = EvalRuns.IdentityPairs(photos);
        }

        await using var pipeline = InProcessPipeline.Create(parse);
        var run = await EvalRuns.VerifyAsync(parse, pipeline, photos, pairs, humanCrop, token);
        var result = run.Metrics;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"model={run.Model} crop={run.Crop} photos={run.Photos} no_face={run.NoFace} pairs={run.Scored.Count} genuine={run.Scored.Count(s => s.Same)} impostor={run.Scored.Count(s => !s.Same)} seconds={run.Elapsed.TotalSeconds:F1} photos_per_s={run.Photos / Math.Max(1e-9, run.Elapsed.TotalSeconds):F2}"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"accuracy_10fold={result.Accuracy:F4} (±{result.AccuracyStd:F4}) auc={result.Auc:F4} tar@far1e-2={result.TarAt1e2:F4} tar@far1e-3={result.TarAt1e3:F4} threshold={result.Threshold:F4}"));
        return 0;
    }

    private static (List<LabelledPhoto> Photos, List<(int A, int B, bool Same)> Pairs) ReadLfwPairs(string file, string root)
    {
        var photos = new List<LabelledPhoto>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        int Add(string name, int number)
        {
            var path = Path.Combine(root, name, string.Create(CultureInfo.InvariantCulture, $"{name}_{number:D4}.jpg"));
            if (!index.TryGetValue(path, out var i))
            {
                i = photos.Count;
                index[path] = i;
                photos.Add(new LabelledPhoto(path, name, 1, [], [], null, null, null, []));
            }

            return i;
        }

        var pairs = new List<(int, int, bool)>();
        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3)
            {
                pairs.Add((Add(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture)), Add(parts[0], int.Parse(parts[2], CultureInfo.InvariantCulture)), true));
            }
            else if (parts.Length == 4)
            {
                pairs.Add((Add(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture)), Add(parts[2], int.Parse(parts[3], CultureInfo.InvariantCulture)), false));
            }
        }

        return (photos, pairs);
    }

    private static async Task<int> DetectAsync(ParseResult parse, string[] data, bool greyscale, CancellationToken token)
    {
        var photos = EvalRuns.DetectionPhotos(LabelledPhoto.Load(data));
        await using var pipeline = InProcessPipeline.Create(parse);
        var run = await EvalRuns.DetectAsync(pipeline, photos, PrintDetection, token, greyscale);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"photos={photos.Count} exact_count={run.ExactCount}/{run.WithCount} faces_expected={run.FacesExpected} faces_found={run.FacesFound} seconds={run.Elapsed.TotalSeconds:F1} photos_per_s={photos.Count / Math.Max(1e-9, run.Elapsed.TotalSeconds):F2}"));
        if (run.Boxes > 0)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"boxes: recall@iou0.5={run.BoxesMatched / (double)run.Boxes:F4} precision@iou0.5={run.BoxesMatched / (double)Math.Max(1, run.BoxDetections):F4} ({run.BoxesMatched}/{run.Boxes}, {run.BoxDetections} detections)"));
        }

        if (run.Noses > 0)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"nose points: recall={run.NosesHit / (double)run.Noses:F4} precision={run.DetectionsOnNoses / (double)Math.Max(1, run.NoseDetections):F4} ({run.NosesHit}/{run.Noses}, {run.NoseDetections} detections)"));
        }

        return 0;
    }

    private static void PrintDetection(DetectionOutcome outcome)
    {
        var photo = outcome.Photo;
        if (outcome.Rejected is not null)
        {
            Console.WriteLine($"{photo.Path}: {outcome.Rejected}");
            return;
        }

        var line = $"{Path.GetRelativePath(Path.GetDirectoryName(photo.Path)!, photo.Path)}: found {outcome.Found.Count}";
        if (photo.FaceCount is { } count)
        {
            line += $" expected {count}";
        }

        if (photo.Boxes.Count > 0)
        {
            line += $" matched {outcome.BoxesMatched}/{photo.Boxes.Count} boxes";
        }

        if (photo.NosePoints.Count > 0)
        {
            line += $" noses {outcome.NosesHit}/{photo.NosePoints.Count}";
        }

        Console.WriteLine(line);
    }

    /// <summary>Greedy one-to-one matching at IoU ≥ 0.5, best pairs first.</summary>
    internal static int Match(IReadOnlyList<System.Drawing.RectangleF> truth, IReadOnlyList<System.Drawing.RectangleF> found)
    {
        var candidates = new List<(float Iou, int T, int F)>();
        for (var t = 0; t < truth.Count; t++)
        {
            for (var f = 0; f < found.Count; f++)
            {
                var iou = BoxMath.IntersectionOverUnion(truth[t], found[f]);
                if (iou >= 0.5f)
                {
                    candidates.Add((iou, t, f));
                }
            }
        }

        var usedT = new HashSet<int>();
        var usedF = new HashSet<int>();
        var matched = 0;
        foreach (var (_, t, f) in candidates.OrderByDescending(c => c.Iou))
        {
            if (!usedT.Contains(t) && !usedF.Contains(f))
            {
                usedT.Add(t);
                usedF.Add(f);
                matched++;
            }
        }

        return matched;
    }

    private static async Task<int> AttributesAsync(ParseResult parse, string[] data, CancellationToken token)
    {
        var photos = EvalRuns.AttributePhotos(LabelledPhoto.Load(data));
        await using var pipeline = InProcessPipeline.Create(parse);
        var run = await EvalRuns.AttributesAsync(pipeline, photos, PrintAttributes, token);
        PrintAgeErrorsByBand(run.Photos.Where(p => p.FaceFound && p.Photo.Age is not null && p.Age is not null).Select(p => (p.Photo.Age!.Value, p.Age!.Value)).ToList());

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"gender_accuracy={run.GendersRight / (double)Math.Max(1, run.Genders):F4} ({run.GendersRight}/{run.Genders}) age_mae_expected={run.AgeMae:F2} age_mae_human_formula={run.AgeMaeHumanFormula:F2} (n={run.Ages})"));
        return 0;
    }

    /// <summary>
    /// Age error (estimate − label) per 10-year band (90+ merged), by the labelled age and by the estimated age: the
    /// figures docs/accuracy.md reports beside FacePlatform.Vision's AgeRange rule (an answer knows only the estimate,
    /// hence the by-estimate rows).
    /// </summary>
    private static void PrintAgeErrorsByBand(List<(float Label, float Estimate)> errors)
    {
        static int Band(float age) => Math.Min(9, (int)(age / 10));
        foreach (var (name, key) in new (string, Func<(float Label, float Estimate), float>)[] { ("label", e => e.Label), ("estimate", e => e.Estimate) })
        {
            foreach (var band in errors.GroupBy(e => Band(key(e))).OrderBy(g => g.Key))
            {
                var absolute = band.Select(e => Math.Abs(e.Estimate - e.Label)).Order().ToList();
                var signed = band.Select(e => e.Estimate - e.Label).Order().ToList();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"age_band_by_{name} {band.Key * 10}-{(band.Key == 9 ? "+" : (band.Key * 10) + 9)}: n={absolute.Count} mae={absolute.Average():F2} bias={signed.Average():F2} p80_abs={Percentile(absolute, 0.8):F2} error_p10={Percentile(signed, 0.1):F2} error_p90={Percentile(signed, 0.9):F2}"));
            }
        }

        static float Percentile(List<float> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static void PrintAttributes(AttributeOutcome outcome)
    {
        var photo = outcome.Photo;
        Console.WriteLine(outcome.FaceFound
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"{Path.GetFileName(photo.Path)}: age {outcome.Age:F1} (human formula {outcome.HumanAge:F1}, label {photo.Age}) gender {outcome.Gender} {outcome.GenderProbability:F2} (label {photo.Gender})")
            : $"{photo.Path}: no face");
    }
}

/// <summary>Verification metrics from scored pairs.</summary>
internal sealed record VerificationMetrics(double Accuracy, double AccuracyStd, double Auc, double TarAt1e2, double TarAt1e3, double Threshold)
{
    public static VerificationMetrics Compute(IReadOnlyList<(float Score, bool Same)> pairs)
    {
        var genuine = pairs.Where(p => p.Same).Select(p => (double)p.Score).Order().ToArray();
        var impostor = pairs.Where(p => !p.Same).Select(p => (double)p.Score).OrderDescending().ToArray();

        // AUC: probability that a genuine pair outscores an impostor pair (ties count half).
        double wins = 0;
        foreach (var g in genuine)
        {
            foreach (var i in impostor)
            {
                wins += g > i ? 1 : g == i ? 0.5 : 0;
            }
        }

        var auc = genuine.Length * impostor.Length == 0 ? double.NaN : wins / ((double)genuine.Length * impostor.Length);

        // 10-fold: the threshold that is best on nine folds is scored on the tenth (LFW protocol).
        var shuffled = pairs.Select((p, i) => (p, i)).OrderBy(x => (x.i * 7919) % pairs.Count).Select(x => x.p).ToList();
        var folds = Enumerable.Range(0, 10).Select(f => shuffled.Where((_, i) => i % 10 == f).ToList()).ToList();
        var accuracies = new List<double>();
        for (var f = 0; f < 10; f++)
        {
            var train = folds.Where((_, k) => k != f).SelectMany(x => x).ToList();
            var threshold = BestThreshold(train);
            if (folds[f].Count > 0)
            {
                accuracies.Add(AccuracyAt(folds[f], threshold));
            }
        }

        var mean = accuracies.Count > 0 ? accuracies.Average() : double.NaN;
        var std = accuracies.Count > 0 ? Math.Sqrt(accuracies.Average(a => (a - mean) * (a - mean))) : double.NaN;
        return new VerificationMetrics(mean, std, auc, TarAt(genuine, impostor, 1e-2), TarAt(genuine, impostor, 1e-3), BestThreshold(pairs));
    }

    private static double BestThreshold(IReadOnlyList<(float Score, bool Same)> pairs)
    {
        var best = (Accuracy: -1.0, Threshold: 0.0);
        foreach (var candidate in pairs.Select(p => (double)p.Score).Distinct())
        {
            var accuracy = AccuracyAt(pairs, candidate);
            if (accuracy > best.Accuracy)
            {
                best = (accuracy, candidate);
            }
        }

        return best.Threshold;
    }

    private static double AccuracyAt(IReadOnlyList<(float Score, bool Same)> pairs, double threshold) =>
        pairs.Count(p => (p.Score >= threshold) == p.Same) / (double)Math.Max(1, pairs.Count);

    private static double TarAt(double[] genuineAscending, double[] impostorDescending, double far)
    {
        if (impostorDescending.Length == 0 || genuineAscending.Length == 0)
        {
            return double.NaN;
        }

        // Highest threshold that lets at most far·N impostors through (strictly above it).
        var allowed = (int)Math.Floor(far * impostorDescending.Length);
        var threshold = impostorDescending[Math.Min(allowed, impostorDescending.Length - 1)];
        return genuineAscending.Count(g => g > threshold) / (double)genuineAscending.Length;
    }
}
