using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FacePlatform.Contracts.V1;
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
            data, far, threshold, StrangersOption, StrangersEveryOption,
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
        for (var a = 0; a < all.Count; a++)
        {
            if (embeddings[a] is not { } ea)
            {
                continue;
            }

            for (var b = a + 1; b < all.Count; b++)
            {
                if (embeddings[b] is not { } eb || (all[a].SamePhotoGroup is { } g && g == all[b].SamePhotoGroup))
                {
                    continue;
                }

                var score = ea.Similarity(eb);
                if (a < n && b < n)
                {
                    (all[a].Identity == all[b].Identity ? genuine : labelledImpostors).Add(score);
                }
                else
                {
                    strangerImpostors.Add(score);
                }
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
        await using var pipeline = InProcessPipeline.Create(parse);
        var photos = sets.SelectMany(s => s.Photos).Concat(strangers).ToList();
        var embeddings = await EmbedAsync(pipeline.Analyzer, photos.Select(p => p.Path).ToList(), parse.GetValue(InProcessPipeline.ParallelOption), token);
        var byPath = photos.Select((p, i) => (p.Path, Embedding: embeddings[i])).GroupBy(x => x.Path).ToDictionary(g => g.Key, g => g.First().Embedding);
        var calibration = pipeline.Analyzer.Recogniser.Calibration;
        if (calibration is null && fixedThreshold is null)
        {
            Console.Error.WriteLine($"the manifest entry of {pipeline.Analyzer.Recogniser.ModelId} has no calibration: pass --threshold, or calibrate it (facectl eval calibrate, then facectl models import)");
            return 2;
        }

        var thresholds = calibration is null ? null : ToProto(pipeline.Analyzer.Recogniser.ModelId, calibration);
        var noFace = embeddings.Count(e => e is null);
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
            settings.AddRange(new[] { 0.001, 0.01, 0.05 }.Select(rate => ($"far={rate:G3}", (Func<int, float>)(gallery => thresholds.ThresholdFor(rate, gallery)))));
        }

        settings.AddRange(new[] { 0.5f, 0.574f }.Select(t => ($"threshold={t:F3}", (Func<int, float>)(_ => t))));
        foreach (var (name, thresholdFor) in settings)
        {
            Console.WriteLine($"[{name}]");
            var total = new OpenSetCounts();
            var perSet = new List<double>();
            foreach (var (setName, setPhotos) in sets)
            {
                var counts = Score(setPhotos, strangers, byPath, thresholdFor, out var threshold, out var gallery);
                total.Add(counts);
                perSet.Add(counts.FalseAcceptRate);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {setName,-18} gallery={gallery,3} threshold={threshold:F4} enrolled_found={counts.Found}/{counts.EnrolledProbes} ({counts.FoundRate:F3}) wrong_person={counts.WrongPerson} never_enrolled_accepted={counts.StrangersAccepted}/{counts.StrangerProbes} ({counts.FalseAcceptRate:F3}){(strangers.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" extra_strangers_accepted={counts.ExtraAccepted}/{counts.ExtraProbes} ({counts.ExtraRate:F4})") : string.Empty)}"));
            }

            // All sets as one gallery: half of all people enrolled, a larger gallery than any one set.
            var pooled = Score(sets.SelectMany(s => s.Photos).ToList(), strangers, byPath, thresholdFor, out var pooledThreshold, out var pooledGallery);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {"pooled",-18} gallery={pooledGallery,3} threshold={pooledThreshold:F4} enrolled_found={pooled.Found}/{pooled.EnrolledProbes} ({pooled.FoundRate:F3}) wrong_person={pooled.WrongPerson} never_enrolled_accepted={pooled.StrangersAccepted}/{pooled.StrangerProbes} ({pooled.FalseAcceptRate:F3}){(strangers.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" extra_strangers_accepted={pooled.ExtraAccepted}/{pooled.ExtraProbes} ({pooled.ExtraRate:F4})") : string.Empty)}"));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  all sets: enrolled_found={total.FoundRate:F3} ({total.Found}/{total.EnrolledProbes}) never_enrolled_accepted={total.FalseAcceptRate:F3} ({total.StrangersAccepted}/{total.StrangerProbes}; per set {perSet.DefaultIfEmpty().Min():F2}–{perSet.DefaultIfEmpty().Max():F2}){(strangers.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" extra_strangers_accepted={total.ExtraRate:F4} ({total.ExtraAccepted}/{total.ExtraProbes})") : string.Empty)}"));
        }

        return 0;
    }

    /// <summary>One set: every other identity (ordinal order) enrolled with its first photo; every other photo searched.</summary>
    private static OpenSetCounts Score(
        IReadOnlyList<LabelledPhoto> photos, IReadOnlyList<LabelledPhoto> strangers, Dictionary<string, FaceEmbedding?> embeddings,
        Func<int, float> thresholdFor, out float threshold, out int galleryFaces)
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
            var best = embeddings[probe.Path] is { } query ? gallery.Select(g => (g.Identity, Score: query.Similarity(g.Embedding))).MaxBy(x => x.Score) : default;
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
                counts.ExtraAccepted += gallery.Any(g => query.Similarity(g.Embedding) >= limit) ? 1 : 0;
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
