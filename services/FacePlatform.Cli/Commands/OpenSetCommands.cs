using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl eval calibrate</c> (a recogniser's thresholds at per-pair false-accept rates, from impostor pairs) and
/// <c>facectl eval identify</c> (open-set identification: half the people enrolled with one photo each, every other
/// photo searched; enrolled people found and strangers accepted at the default threshold).
/// </summary>
internal static class OpenSetCommands
{
    private static readonly Option<string?> StrangersOption = new("--strangers")
    {
        Description = "A data set folder whose photos are all of different people, none of them in DATA (e.g. utkface-dev): more impostor pairs / never-enrolled probes",
    };

    private static readonly Option<int> StrangersEveryOption = new("--strangers-every")
    {
        Description = "Take every N-th photo of --strangers (in manifest order; deterministic subset)",
        DefaultValueFactory = _ => 1,
    };

    /// <summary>The per-search false-accept rates swept besides the default.</summary>
    private static readonly double[] SweptRates = [0.001, 0.01, 0.05];

    private static readonly Option<string?> CohortOption = new("--cohort")
    {
        Description = "Measure score normalisation (T-norm, adaptive S-norm) against a cohort of impostor faces from this data set folder (e.g. utkface-dev; photos used as --strangers are left out)",
    };

    private static readonly Option<int> CohortEveryOption = new("--cohort-every")
    {
        Description = "Take every N-th photo of --cohort (in manifest order, after leaving out the --strangers photos)",
        DefaultValueFactory = _ => 4,
    };

    private static readonly Option<int> CohortSizeOption = new("--cohort-size")
    {
        Description = "K: each face is normalised by the mean and spread of its K highest cohort similarities",
        DefaultValueFactory = _ => 50,
    };

    public static Command Calibrate()
    {
        var data = new Argument<string[]>("DATA") { Description = "Data set folders with identity labels (or a folder of them)", Arity = ArgumentArity.OneOrMore };
        var write = new Option<string?>("--write")
        {
            Description = "Merge the calibration from the labelled pairs into this JSON file (model id → calibration): services/FacePlatform.ModelImport/Catalogue/calibrations.json",
        };
        var command = new Command("calibrate", "A recogniser's thresholds at per-pair false-accept rates 1e-1..1e-6, from impostor pairs (empirical, tail fit beyond)")
        {
            data, StrangersOption, StrangersEveryOption, write,
        };
        InProcessPipeline.AddTo(command);
        command.SetAction((parse, token) => CalibrateAsync(parse, parse.GetRequiredValue(data), parse.GetValue(write), token));
        return command;
    }

    public static Command Identify()
    {
        var data = new Argument<string[]>("DATA") { Description = "Data set folders with identity labels (or a folder of them); each is one labelled set", Arity = ArgumentArity.OneOrMore };
        var far = new Option<double>("--far")
        {
            Description = "Per-search false-accept rate of the default threshold (the gateway's Recognition:SearchFalseAcceptRate)",
            DefaultValueFactory = _ => ThresholdCalibration.DefaultSearchFalseAcceptRate,
        };
        var threshold = new Option<float?>("--threshold") { Description = "A fixed cosine threshold instead of the calibrated one" };
        var command = new Command("identify", "Open-set identification: per set, half the people enrolled (one photo each), every other photo searched")
        {
            data, far, threshold, StrangersOption, StrangersEveryOption, CohortOption, CohortEveryOption, CohortSizeOption,
        };
        InProcessPipeline.AddTo(command);
        command.SetAction((parse, token) => IdentifyAsync(parse, parse.GetRequiredValue(data), parse.GetValue(far), parse.GetValue(threshold), token));
        return command;
    }

    private static async Task<int> CalibrateAsync(ParseResult parse, string[] data, string? write, CancellationToken token)
    {
        var labelled = IdentityPhotos(data);
        var strangers = Strangers(parse);
        await using var pipeline = InProcessPipeline.Create(parse);
        var all = labelled.Concat(strangers).ToList();
        var embeddings = await EmbedAsync(pipeline.Analyzer, all.Select(p => p.Path).ToList(), parse.GetValue(InProcessPipeline.ParallelOption), token);
        var n = labelled.Count;

        List<float> genuine = [], labelledImpostors = [], strangerImpostors = [];
        foreach (var (a, b) in ComparablePairs(all, embeddings))
        {
            var score = embeddings[a]!.Similarity(embeddings[b]!);
            if (a < n && b < n)
            {
                (all[a].Identity == all[b].Identity ? genuine : labelledImpostors).Add(score);
            }
            else
            {
                strangerImpostors.Add(score);
            }
        }

        var model = pipeline.Analyzer.Recogniser.ModelId;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"model={model} labelled_photos={n} strangers={strangers.Count} no_face={embeddings.Count(e => e is null)} genuine={genuine.Count} impostors: labelled={labelledImpostors.Count} with_strangers={strangerImpostors.Count}"));
        var sources = new List<(string Name, List<float> Impostors)> { ("labelled", labelledImpostors) };
        if (strangerImpostors.Count > 0)
        {
            sources.Add(("strangers", strangerImpostors));
            sources.Add(("all", [.. labelledImpostors, .. strangerImpostors]));
        }

        ModelCalibration? chosen = null;
        foreach (var (name, impostors) in sources.Where(s => s.Impostors.Count >= 200))
        {
            var description = string.Create(
                CultureInfo.InvariantCulture,
                $"{DescribeData(data, strangers.Count > 0 ? parse.GetValue(StrangersOption) : null, parse.GetValue(StrangersEveryOption))}; impostor pairs: {name}");
            var calibration = ThresholdCalibrator.Calibrate(impostors, genuine, description);
            // Only the labelled sets' pairs are written: strangers (utkface-dev) are for checking, since its terms
            // allow measuring with it but not shipping anything fitted to it.
            chosen ??= calibration;
            Console.WriteLine($"[{name}] {calibration.ImpostorPairs} impostor pairs; {calibration.Method}");
            Console.WriteLine("  far_per_pair  threshold  basis      tar    impostors_above");
            var sorted = impostors.OrderDescending().ToArray();
            foreach (var point in calibration.Thresholds)
            {
                var above = sorted.TakeWhile(s => s >= point.Threshold).Count();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {point.FalseAcceptRate,-12:G3}  {point.Threshold,9:F4}  {point.Basis,-9}  {point.TrueAcceptRate,5:F3}  {above} (expected {point.FalseAcceptRate * sorted.Length:F1})"));
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  impostor quantiles: p99={Quantile(sorted, 1e-2):F4} p99.9={Quantile(sorted, 1e-3):F4} p99.99={Quantile(sorted, 1e-4):F4} max={sorted[0]:F4}"));
        }

        if (write is not null && chosen is not null)
        {
            var existing = File.Exists(write)
                ? JsonSerializer.Deserialize(File.ReadAllBytes(write), ManifestJsonContext.Default.DictionaryStringModelCalibration) ?? []
                : [];
            existing[model] = chosen;
            var sortedEntries = existing.OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(e => e.Key, e => e.Value);
            var options = new JsonSerializerOptions(ManifestJsonContext.Default.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            File.WriteAllText(write, JsonSerializer.Serialize(sortedEntries, new ManifestJsonContext(options).DictionaryStringModelCalibration) + "\n");
            Console.WriteLine($"wrote the calibration of {model} ({chosen.Data}) into {write}");
        }

        return 0;
    }

    private static async Task<int> IdentifyAsync(ParseResult parse, string[] data, double far, float? fixedThreshold, CancellationToken token)
    {
        var sets = data.SelectMany(SetFolders).Select(folder => (Name: Path.GetFileName(folder.TrimEnd('/')), Photos: IdentityPhotos([folder])))
            .Where(s => s.Photos.Select(p => p.Identity).Distinct().Count() >= 2)
            .ToList();
        var strangers = Strangers(parse);
        var cohort = Cohort(parse, strangers);
        await using var pipeline = InProcessPipeline.Create(parse);
        var photos = sets.SelectMany(s => s.Photos).Concat(strangers).ToList();
        var embeddings = await EmbedAsync(pipeline.Analyzer, photos.Concat(cohort).Select(p => p.Path).ToList(), parse.GetValue(InProcessPipeline.ParallelOption), token);
        var byPath = photos.Select((p, i) => (p.Path, Embedding: embeddings[i])).GroupBy(x => x.Path).ToDictionary(g => g.Key, g => g.First().Embedding);
        var calibration = pipeline.Analyzer.Recogniser.Calibration;
        if (calibration is null && fixedThreshold is null)
        {
            Console.Error.WriteLine($"the manifest entry of {pipeline.Analyzer.Recogniser.ModelId} has no calibration: pass --threshold, or calibrate it (facectl eval calibrate, then facectl models import)");
            return 2;
        }

        var thresholds = calibration is null ? null : ToProto(pipeline.Analyzer.Recogniser.ModelId, calibration);
        var noFace = embeddings.Take(photos.Count).Count(e => e is null);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"model={pipeline.Analyzer.Recogniser.ModelId} sets={sets.Count} photos={photos.Count} no_face={noFace} default: {(fixedThreshold is { } f ? $"threshold {f:F3}" : $"per-search false-accept rate {far:G3}")}"));

        // The default first, then the sweep that shows what other choices would give.
        var settings = new List<(string Name, Func<int, float> Threshold)>
        {
            ("default", gallery => fixedThreshold ?? thresholds!.ThresholdFor(far, gallery)),
        };
        if (thresholds is not null)
        {
            settings.AddRange(SweptRates.Select(rate => ($"far={rate:G3}", (Func<int, float>)(gallery => thresholds.ThresholdFor(rate, gallery)))));
        }

        settings.AddRange(new[] { 0.5f, 0.574f }.Select(t => ($"threshold={t:F3}", (Func<int, float>)(_ => t))));
        foreach (var (name, thresholdFor) in settings)
        {
            Report(name, sets, strangers, byPath, thresholdFor, (probe, enrolled) => probe.Similarity(enrolled));
        }

        if (cohort.Count > 0)
        {
            var cohortEmbeddings = embeddings.Skip(photos.Count).OfType<FaceEmbedding>().ToList();
            ReportNormalised(sets, strangers, byPath, cohortEmbeddings, parse.GetValue(CohortSizeOption), pipeline.Analyzer.Recogniser.ModelId);
        }

        return 0;
    }

    /// <summary>
    /// Raw cosine, T-norm and adaptive S-norm against the cohort, each with thresholds calibrated in this run on the
    /// labelled sets' impostor pairs (the pairs of <c>eval calibrate</c>), so the three are compared at the same
    /// per-search false-accept rates on the same footing.
    /// </summary>
    private static void ReportNormalised(
        List<(string Name, List<LabelledPhoto> Photos)> sets, List<LabelledPhoto> strangers, Dictionary<string, FaceEmbedding?> byPath,
        List<FaceEmbedding> cohort, int topK, string modelId)
    {
        var statistics = new Dictionary<FaceEmbedding, CohortStatistics>(ReferenceEqualityComparer.Instance);
        foreach (var embedding in byPath.Values.OfType<FaceEmbedding>())
        {
            statistics[embedding] = CohortNormalisation.Statistics(cohort.Select(embedding.Similarity), topK);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cohort: {cohort.Count} faces, top K={topK}; thresholds calibrated in this run on the labelled impostor pairs"));
        var scorers = new List<(string Name, Func<FaceEmbedding, FaceEmbedding, float> Score)>
        {
            ("raw", (probe, enrolled) => probe.Similarity(enrolled)),
            ("t-norm", (probe, enrolled) => CohortNormalisation.TNorm(probe.Similarity(enrolled), statistics[probe])),
            ("as-norm", (probe, enrolled) => CohortNormalisation.AdaptiveSNorm(probe.Similarity(enrolled), statistics[probe], statistics[enrolled])),
        };
        var labelled = sets.SelectMany(s => s.Photos).ToList();
        var labelledEmbeddings = labelled.Select(p => byPath[p.Path]).ToList();
        foreach (var (scorerName, score) in scorers)
        {
            List<float> genuine = [], impostors = [];
            foreach (var (a, b) in ComparablePairs(labelled, labelledEmbeddings))
            {
                (labelled[a].Identity == labelled[b].Identity ? genuine : impostors).Add(score(labelledEmbeddings[a]!, labelledEmbeddings[b]!));
            }

            var calibration = ThresholdCalibrator.Calibrate(impostors, genuine, $"labelled impostor pairs, {scorerName}");
            var thresholds = ToProto(modelId, calibration);
            var tar = string.Join(" ", calibration.Thresholds.Where(t => t.FalseAcceptRate is 1e-2 or 1e-3 or 1e-4)
                .Select(t => string.Create(CultureInfo.InvariantCulture, $"TAR@{t.FalseAcceptRate:G1}={t.TrueAcceptRate:F3} (threshold {t.Threshold:F3}, {t.Basis})")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{scorerName}] {impostors.Count} impostor / {genuine.Count} genuine pairs: {tar}"));
            foreach (var rate in SweptRates)
            {
                Report($"{scorerName} far={rate:G3}", sets, strangers, byPath, gallery => thresholds.ThresholdFor(rate, gallery), score);
            }
        }
    }

    /// <summary>One operating point: each set, the pooled gallery and the totals.</summary>
    private static void Report(
        string name, List<(string Name, List<LabelledPhoto> Photos)> sets, List<LabelledPhoto> strangers, Dictionary<string, FaceEmbedding?> byPath,
        Func<int, float> thresholdFor, Func<FaceEmbedding, FaceEmbedding, float> score)
    {
        Console.WriteLine($"[{name}]");
        var total = new OpenSetCounts();
        var perSet = new List<double>();
        foreach (var (setName, setPhotos) in sets)
        {
            var counts = Score(setPhotos, strangers, byPath, thresholdFor, score, out var threshold, out var gallery);
            total.Add(counts);
            perSet.Add(counts.FalseAcceptRate);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {setName,-18} gallery={gallery,3} threshold={threshold:F4} enrolled_found={counts.Found}/{counts.EnrolledProbes} ({counts.FoundRate:F3}) wrong_person={counts.WrongPerson} never_enrolled_accepted={counts.StrangersAccepted}/{counts.StrangerProbes} ({counts.FalseAcceptRate:F3}){(strangers.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" extra_strangers_accepted={counts.ExtraAccepted}/{counts.ExtraProbes} ({counts.ExtraRate:F4})") : string.Empty)}"));
        }

        // All sets as one gallery: half of all people enrolled, a larger gallery than any one set.
        var pooled = Score(sets.SelectMany(s => s.Photos).ToList(), strangers, byPath, thresholdFor, score, out var pooledThreshold, out var pooledGallery);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {"pooled",-18} gallery={pooledGallery,3} threshold={pooledThreshold:F4} enrolled_found={pooled.Found}/{pooled.EnrolledProbes} ({pooled.FoundRate:F3}) wrong_person={pooled.WrongPerson} never_enrolled_accepted={pooled.StrangersAccepted}/{pooled.StrangerProbes} ({pooled.FalseAcceptRate:F3}){(strangers.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" extra_strangers_accepted={pooled.ExtraAccepted}/{pooled.ExtraProbes} ({pooled.ExtraRate:F4})") : string.Empty)}"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  all sets: enrolled_found={total.FoundRate:F3} ({total.Found}/{total.EnrolledProbes}) never_enrolled_accepted={total.FalseAcceptRate:F3} ({total.StrangersAccepted}/{total.StrangerProbes}; per set {perSet.DefaultIfEmpty().Min():F2}–{perSet.DefaultIfEmpty().Max():F2}){(strangers.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" extra_strangers_accepted={total.ExtraRate:F4} ({total.ExtraAccepted}/{total.ExtraProbes})") : string.Empty)}"));
    }

    /// <summary>One set: every other identity (ordinal order) enrolled with its first photo; every other photo searched.</summary>
    private static OpenSetCounts Score(
        IReadOnlyList<LabelledPhoto> photos, IReadOnlyList<LabelledPhoto> strangers, Dictionary<string, FaceEmbedding?> embeddings,
        Func<int, float> thresholdFor, Func<FaceEmbedding, FaceEmbedding, float> score, out float threshold, out int galleryFaces)
    {
        var people = photos.GroupBy(p => p.Identity!).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var gallery = new List<(string Identity, FaceEmbedding Embedding, LabelledPhoto Photo)>();
        for (var i = 0; i < people.Count; i += 2)
        {
            // The first photo of the person that gave a face.
            if (people[i].OrderBy(p => p.Path, StringComparer.Ordinal).FirstOrDefault(p => embeddings[p.Path] is not null) is { } enrolled)
            {
                gallery.Add((people[i].Key, embeddings[enrolled.Path]!, enrolled));
            }
        }

        galleryFaces = gallery.Count;
        var limit = thresholdFor(gallery.Count);
        threshold = limit;
        var counts = new OpenSetCounts();
        var enrolledIds = gallery.Select(g => g.Identity).ToHashSet(StringComparer.Ordinal);
        foreach (var probe in photos)
        {
            var samePhoto = gallery.Any(g => g.Photo.Path == probe.Path || (probe.SamePhotoGroup is { } group && group == g.Photo.SamePhotoGroup));
            if (samePhoto)
            {
                continue;
            }

            var enrolled = enrolledIds.Contains(probe.Identity!);
            var best = embeddings[probe.Path] is { } query ? gallery.Select(g => (g.Identity, Score: score(query, g.Embedding))).MaxBy(x => x.Score) : default;
            var accepted = best.Identity is not null && best.Score >= limit;
            if (enrolled)
            {
                counts.EnrolledProbes++;
                counts.Found += accepted && best.Identity == probe.Identity ? 1 : 0;
                counts.WrongPerson += accepted && best.Identity != probe.Identity ? 1 : 0;
            }
            else
            {
                counts.StrangerProbes++;
                counts.StrangersAccepted += accepted ? 1 : 0;
            }
        }

        foreach (var stranger in strangers)
        {
            if (embeddings[stranger.Path] is { } query)
            {
                counts.ExtraProbes++;
                counts.ExtraAccepted += gallery.Any(g => score(query, g.Embedding) >= limit) ? 1 : 0;
            }
        }

        return counts;
    }

    /// <summary>The calibration as the services carry it (the embedding service sends the same to the gateway).</summary>
    internal static ThresholdCalibration ToProto(string modelId, ModelCalibration calibration) =>
        ThresholdCalibration.Create(modelId, calibration.Thresholds.Select(t => (t.FalseAcceptRate, t.Threshold)));

    private static List<LabelledPhoto> IdentityPhotos(IEnumerable<string> data) =>
        LabelledPhoto.Load(data).Where(p => !p.IsMalformed && p.Identity is not null && p.FaceCount == 1).ToList();

    private static List<LabelledPhoto> Strangers(ParseResult parse)
    {
        if (parse.GetValue(StrangersOption) is not { Length: > 0 } folder)
        {
            return [];
        }

        var every = Math.Max(1, parse.GetValue(StrangersEveryOption));
        // Each stranger is its own identity, unique to this run.
        return LabelledPhoto.Load([folder]).Where(p => !p.IsMalformed && p.FaceCount is null or 1)
            .Where((_, i) => i % every == 0)
            .Select(p => p with { Identity = "stranger:" + p.Path, SamePhotoGroup = null })
            .ToList();
    }

    /// <summary>Every N-th photo of --cohort that is not a --strangers photo: impostor faces to normalise scores against.</summary>
    private static List<LabelledPhoto> Cohort(ParseResult parse, IReadOnlyList<LabelledPhoto> strangers)
    {
        if (parse.GetValue(CohortOption) is not { Length: > 0 } folder)
        {
            return [];
        }

        var every = Math.Max(1, parse.GetValue(CohortEveryOption));
        var strangerPaths = strangers.Select(p => Path.GetFullPath(p.Path)).ToHashSet(StringComparer.Ordinal);
        return LabelledPhoto.Load([folder]).Where(p => !p.IsMalformed && p.FaceCount is null or 1)
            .Where(p => !strangerPaths.Contains(Path.GetFullPath(p.Path)))
            .Where((_, i) => i % every == 0)
            .ToList();
    }

    /// <summary>Indices (a &lt; b) of the photo pairs that can be compared: both gave a face and they are not copies of one photo.</summary>
    private static IEnumerable<(int A, int B)> ComparablePairs(List<LabelledPhoto> photos, IReadOnlyList<FaceEmbedding?> embeddings)
    {
        for (var a = 0; a < photos.Count; a++)
        {
            if (embeddings[a] is null)
            {
                continue;
            }

            for (var b = a + 1; b < photos.Count; b++)
            {
                if (embeddings[b] is not null && !(photos[a].SamePhotoGroup is { } g && g == photos[b].SamePhotoGroup))
                {
                    yield return (a, b);
                }
            }
        }
    }

    private static IEnumerable<string> SetFolders(string folder) =>
        File.Exists(Path.Combine(folder, "manifest.json"))
            ? [folder]
            : Directory.EnumerateDirectories(folder).Where(d => File.Exists(Path.Combine(d, "manifest.json"))).Order(StringComparer.Ordinal);

    private static string DescribeData(string[] data, string? strangers, int every) =>
        string.Join(", ", data.Select(d => Path.GetFileName(Path.GetFullPath(d).TrimEnd('/'))))
        + " of ../shared/data (identity-labelled one-face photos of " + string.Join(", ", data.SelectMany(SetFolders).Where(f => IdentityPhotos([f]).Count > 0).Select(f => Path.GetFileName(f.TrimEnd('/')))) + "; copies of one photo left out)"
        + (strangers is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" + every {every}. photo of {Path.GetFileName(Path.GetFullPath(strangers).TrimEnd('/'))} as strangers"));

    private static double Quantile(float[] descending, double upperFraction) =>
        descending[Math.Min(descending.Length - 1, (int)Math.Floor(upperFraction * descending.Length))];

    /// <summary>The largest face's embedding of each photo (null: no face or not a readable photo).</summary>
    internal static async Task<FaceEmbedding?[]> EmbedAsync(FaceAnalyzer analyzer, IReadOnlyList<string> paths, int parallel, CancellationToken token)
    {
        var request = new AnalysisRequest { Embed = true, Attributes = AttributeKinds.None };
        var embeddings = new FaceEmbedding?[paths.Count];
        var progress = new ProgressBar(paths.Count);
        await Parallel.ForEachAsync(Enumerable.Range(0, paths.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel), CancellationToken = token }, async (i, ct) =>
        {
            try
            {
                var analysis = await analyzer.AnalyzeAsync(await File.ReadAllBytesAsync(paths[i], ct), request, ct);
                embeddings[i] = analysis.Faces.MaxBy(f => f.Detection.Box.Width * f.Detection.Box.Height)?.Embedding;
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
        return embeddings;
    }

    private sealed class OpenSetCounts
    {
        public int EnrolledProbes { get; set; }

        public int Found { get; set; }

        public int WrongPerson { get; set; }

        public int StrangerProbes { get; set; }

        public int StrangersAccepted { get; set; }

        public int ExtraProbes { get; set; }

        public int ExtraAccepted { get; set; }

        public double FoundRate => Found / (double)Math.Max(1, EnrolledProbes);

        public double FalseAcceptRate => StrangersAccepted / (double)Math.Max(1, StrangerProbes);

        public double ExtraRate => ExtraAccepted / (double)Math.Max(1, ExtraProbes);

        public void Add(OpenSetCounts other)
        {
            EnrolledProbes += other.EnrolledProbes;
            Found += other.Found;
            WrongPerson += other.WrongPerson;
            StrangerProbes += other.StrangerProbes;
            StrangersAccepted += other.StrangersAccepted;
            ExtraProbes += other.ExtraProbes;
            ExtraAccepted += other.ExtraAccepted;
        }
    }
}
