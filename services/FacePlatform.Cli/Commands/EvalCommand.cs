using System.CommandLine;
using System.Globalization;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Geometry;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl eval verify|detect|attributes DATA...</c>: accuracy of the in-process pipeline on labelled photos
/// (folders holding a <c>manifest.json</c>, or a folder of such folders).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Measure accuracy on labelled photos") { Verify(), Detect(), AttributesCommand(), SmallFacesCommand.Create(), OpenSetCommands.Calibrate(), OpenSetCommands.Identify() };
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
        var photos = LabelledPhoto.Load(data).Where(p => !p.IsMalformed && p.Identity is not null && p.FaceCount == 1).ToList();
        List<(int A, int B, bool Same)> pairs;
        if (pairsFile is not null)
        {
            (photos, pairs) = ReadLfwPairs(pairsFile, data[0]);
        }
        else
        {
            pairs = [];
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
        }

        await using var pipeline = InProcessPipeline.Create(parse);
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
                        embeddings[i] = (await analyzer.Recogniser.EmbedHumanCropsAsync(image, faces, ct))[0].Embedding;
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
        var missing = embeddings.Count(e => e is null);
        var result = VerificationMetrics.Compute(scored);
        var model = analyzer.Recogniser.ModelId;
        var crop = humanCrop ? "human-crop" : $"{analyzer.Recogniser.Template.Name}/{analyzer.Recogniser.Mode.ToString().ToLowerInvariant()}";
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"model={model} crop={crop} photos={photos.Count} no_face={missing} pairs={scored.Count} genuine={scored.Count(s => s.Same)} impostor={scored.Count(s => !s.Same)}"));
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
        var photos = LabelledPhoto.Load(data).Where(p => !p.IsMalformed && (p.FaceCount is not null || p.Boxes.Count > 0)).ToList();
        await using var pipeline = InProcessPipeline.Create(parse);
        var request = new AnalysisRequest { Embed = false, Attributes = AttributeKinds.None };
        int exact = 0, expected = 0, found = 0, truePositives = 0, boxesTotal = 0, boxDetections = 0, noses = 0, nosesHit = 0, noseDetections = 0, noseMatched = 0;
        foreach (var photo in photos)
        {
            PhotoAnalysis analysis;
            try
            {
                using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(photo.Path, token));
                if (greyscale)
                {
                    MakeGrey(image);
                }

                analysis = await pipeline.Analyzer.AnalyzeAsync(image, request, token);
            }
            catch (ImageRejectedException ex)
            {
                Console.WriteLine($"{photo.Path}: {ex.CodeText}");
                continue;
            }

            var boxes = analysis.Faces.Select(f => f.Detection.Box).ToList();
            var line = $"{Path.GetRelativePath(Path.GetDirectoryName(photo.Path)!, photo.Path)}: found {boxes.Count}";
            if (photo.FaceCount is { } count)
            {
                expected += count;
                found += boxes.Count;
                exact += count == boxes.Count ? 1 : 0;
                line += $" expected {count}";
            }

            if (photo.Boxes.Count > 0)
            {
                var matched = Match(photo.Boxes, boxes);
                truePositives += matched;
                boxesTotal += photo.Boxes.Count;
                boxDetections += boxes.Count;
                line += $" matched {matched}/{photo.Boxes.Count} boxes";
            }

            if (photo.NosePoints.Count > 0)
            {
                var hit = photo.NosePoints.Count(n => boxes.Any(b => b.Contains(n)));
                nosesHit += hit;
                noses += photo.NosePoints.Count;
                noseDetections += boxes.Count;
                noseMatched += boxes.Count(b => photo.NosePoints.Any(b.Contains));
                line += $" noses {hit}/{photo.NosePoints.Count}";
            }

            Console.WriteLine(line);
        }

        var withCount = photos.Count(p => p.FaceCount is not null);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"photos={photos.Count} exact_count={exact}/{withCount} faces_expected={expected} faces_found={found}"));
        if (boxesTotal > 0)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"boxes: recall@iou0.5={truePositives / (double)boxesTotal:F4} precision@iou0.5={truePositives / (double)Math.Max(1, boxDetections):F4} ({truePositives}/{boxesTotal}, {boxDetections} detections)"));
        }

        if (noses > 0)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"nose points: recall={nosesHit / (double)noses:F4} precision={noseMatched / (double)Math.Max(1, noseDetections):F4} ({nosesHit}/{noses}, {noseDetections} detections)"));
        }

        return 0;
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
        var photos = LabelledPhoto.Load(data).Where(p => !p.IsMalformed && (p.Age is not null || p.Gender is not null) && p.FaceCount == 1).ToList();
        await using var pipeline = InProcessPipeline.Create(parse);
        var analyzer = pipeline.Analyzer;
        int genders = 0, gendersRight = 0, ages = 0;
        double expectedError = 0, humanError = 0;
        var ageErrors = new List<(float Label, float Estimate)>();
        foreach (var photo in photos)
        {
            using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(photo.Path, token));
            var faces = await analyzer.Detector.DetectAsync(image, 1, 0, token);
            if (faces.Count == 0)
            {
                Console.WriteLine($"{photo.Path}: no face");
                continue;
            }

            using var crop = analyzer.Recogniser.Align(image, faces[0]);
            var attributes = (await analyzer.Attributes!.PredictAsync([new FramedCrop(crop, analyzer.Recogniser.Template)], AttributeKinds.Age | AttributeKinds.Gender, null, token))[0];
            // The Human readout of the same bins, for the comparison in docs/accuracy.md.
            var bins = await HumanReadoutAsync(analyzer, crop, token);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{Path.GetFileName(photo.Path)}: age {attributes.Age:F1} (human formula {bins:F1}, label {photo.Age}) gender {attributes.Gender} {attributes.GenderProbability:F2} (label {photo.Gender})"));
            if (photo.Gender is not null)
            {
                genders++;
                gendersRight += attributes.Gender == photo.Gender ? 1 : 0;
            }

            if (photo.Age is { } age && attributes.Age is { } predicted)
            {
                ages++;
                expectedError += Math.Abs(predicted - age);
                humanError += Math.Abs(bins - age);
                ageErrors.Add((age, predicted));
            }
        }

        PrintAgeErrorsByBand(ageErrors);

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"gender_accuracy={gendersRight / (double)Math.Max(1, genders):F4} ({gendersRight}/{genders}) age_mae_expected={expectedError / Math.Max(1, ages):F2} age_mae_human_formula={humanError / Math.Max(1, ages):F2} (n={ages})"));
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

    private static async Task<float> HumanReadoutAsync(FaceAnalyzer analyzer, RgbImage crop, CancellationToken token)
    {
        if (!analyzer.Recogniser.IsMultiTask)
        {
            return float.NaN;
        }

        var human = new FaceRecogniser(analyzer.Recogniser.Runner, analyzer.Recogniser.Template, analyzer.Recogniser.Mode, AgeReadout.Human);
        return (await human.EmbedAsync([crop], token))[0].AgeGender!.Age;
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
