using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl eval age-gender DATA [--variants LIST]</c>: every age and gender variant (source, flip test-time
/// augmentation, crop scale; <see cref="AgeGenderVariant"/>) on the same detected faces in one run — age MAE and
/// gender accuracy by age band and by gender, the AgeRange's coverage, and each variant's speed — so the served
/// default (<c>Attributes__AgeGender</c>) is chosen by measurement (docs/accuracy.md). With <c>--labels FILE</c>
/// (identity,gender,source rows, e.g. tests/data/identity-gender.csv) photos labelled only with an identity get that
/// person's gender, so gender is also measured on photos no model was trained on; photos without an age count for
/// gender only.
/// </summary>
internal static class AgeGenderEvalCommand
{
    /// <summary>The variants measured when none are named.</summary>
    public const string DefaultVariants =
        "faceres,faceres+flip,faceres@0.85,faceres@1.15,gear,gear+flip,ensemble,ensemble+flip,faceapi,faceapi+flip,faceapi@1.2,faceapi@1.4,faceres+faceapi,faceres/faceapi,ensemble+faceapi";

    /// <summary>The bands of labelled age the issue asks for.</summary>
    private static readonly (string Name, int Low, int High)[] Bands = [("0-19", 0, 19), ("20-39", 20, 39), ("40-59", 40, 59), ("60-79", 60, 79), ("80+", 80, int.MaxValue)];

    // NaN where a run has no photo for a figure (e.g. age on photos labelled with gender only).
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static Command Create()
    {
        var data = new Argument<string[]>("DATA") { Description = "Data set folders with manifest.json holding age and gender labels (e.g. ../shared/data/faces/utkface-dev)", Arity = ArgumentArity.OneOrMore };
        var variants = new Option<string>("--variants")
        {
            Description = "Comma-separated variants: " + AgeGenderVariant.Spelling,
            DefaultValueFactory = _ => DefaultVariants,
        };
        var limit = new Option<int?>("--limit") { Description = "At most this many photos per data set, evenly spaced over its manifest (default: all)" };
        var timed = new Option<int>("--timed") { Description = "Faces timed one by one per variant for its speed", DefaultValueFactory = _ => 100 };
        var json = new Option<string?>("--json") { Description = "Also write the figures (and every face's answers) to this JSON file" };
        var labels = new Option<string?>("--labels") { Description = "CSV of identity,gender,source: photos labelled with such an identity and no gender get its gender (e.g. tests/data/identity-gender.csv)" };
        var command = new Command("age-gender", "Age and gender variants (source, flip TTA, crop scale) on labelled photos: error by age band and gender, speed") { data, variants, limit, timed, json, labels };
        InProcessPipeline.AddTo(command);
        command.Validators.Add(result =>
        {
            foreach (var text in (result.GetValue(variants) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!AgeGenderVariant.TryParse(text, out _))
                {
                    result.AddError($"--variants: '{text}' is not {AgeGenderVariant.Spelling}");
                }
            }

            if (result.GetValue(limit) is < 1)
            {
                result.AddError("--limit must be at least 1");
            }

            if (result.GetValue(labels) is { } file && !File.Exists(file))
            {
                result.AddError($"--labels: no file {file}");
            }
        });
        command.SetAction((parse, token) => RunAsync(
            parse, parse.GetRequiredValue(data), [.. parse.GetRequiredValue(variants).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(AgeGenderVariant.Parse).Distinct()],
            parse.GetValue(limit), parse.GetValue(timed), parse.GetValue(json), parse.GetValue(labels), token));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string[] data, List<AgeGenderVariant> variants, int? limit, int timed, string? jsonPath, string? labelsPath, CancellationToken token)
    {
        var genders = labelsPath is null ? [] : IdentityGenders.Load(labelsPath);
        // A photo at several resolutions or in several formats (one same_photo_group) counts once: its first listing.
        var photos = EvalRuns.AttributePhotos(LabelledPhoto.Load(data).Select(p => p.Gender is null && p.Identity is { } id && genders.TryGetValue(id, out var g) ? p with { Gender = g } : p))
            .Where(p => p.Gender is not null)
            .GroupBy(p => p.SamePhotoGroup ?? p.Path, StringComparer.Ordinal).Select(g => g.First())
            .ToList();
        if (limit is { } n)
        {
            photos = EvalReportCommand.Sample(photos, n);
        }

        await using var pipeline = InProcessPipeline.Create(parse);
        var analyzer = pipeline.Analyzer;
        if (analyzer.Recogniser is not FaceRecogniser own || !own.ModelId.StartsWith("faceres", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"eval age-gender reads FaceRes and GEAR on the faceres crop; --model {analyzer.Recogniser.ModelId} has none");
            return 2;
        }

        var estimator = new AgeGenderEstimator(
            own.Runner, pipeline.Catalog.Find("gear"), own.AgeReadout, pipeline.Catalog.Find(AgeGenderEstimator.FaceApiModel));
        var missing = variants.Where(v => !estimator.Supports(v)).ToList();
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"the model directory lacks what {string.Join(", ", missing)} need (faceres, gear, {AgeGenderEstimator.FaceApiModel})");
            return 2;
        }

        // Each single model at each scale is read once per face, with the mirror image when a variant flips it; the
        // variants are combinations of these readings (AgeGenderEstimator.Combine, the code the services run).
        var readings = variants.SelectMany(AgeGenderEstimator.ReadingsOf)
            .GroupBy(r => (r.Source, r.CropScale)).Select(g => (g.Key.Source, g.Key.CropScale, Mirrored: g.Any(r => r.Mirrored))).ToList();
        Console.WriteLine($"age-gender: {photos.Count} photos ({photos.Count(p => p.Age is not null)} with an age), {variants.Count} variants from {readings.Count} readings ({string.Join(", ", readings.Select(r => $"{AgeGenderVariant.NameOf(r.Source)}@{r.CropScale.ToString(CultureInfo.InvariantCulture)}{(r.Mirrored ? "+mirror" : string.Empty)}"))})");

        var faces = new FaceAnswers?[photos.Count];
        var timedCrops = new List<FramedCrop>();
        var detectTicks = 0L;
        var progress = new ProgressBar(photos.Count);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, photos.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(InProcessPipeline.ParallelOption)), CancellationToken = token }, async (i, ct) =>
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(photos[i].Path, ct));
                var found = await analyzer.Detector.DetectAsync(image, 1, 0, ct);
                if (found.Count > 0)
                {
                    FramedCrop? crop = new FramedCrop(analyzer.Recogniser.Align(image, found[0]), analyzer.Recogniser.Template);
                    Interlocked.Add(ref detectTicks, Stopwatch.GetTimestamp() - started);
                    var read = new Dictionary<(AgeGenderSource, float), AgeGenderReading>();
                    foreach (var (source, scale, mirrored) in readings)
                    {
                        read[(source, scale)] = await estimator.ReadAsync([crop!], source, scale, mirrored, ct);
                    }

                    faces[i] = new FaceAnswers(photos[i], variants.Select(v => AgeGenderEstimator.Combine(v, key => read[key])[0]).ToList());
                    lock (timedCrops)
                    {
                        if (timedCrops.Count < timed)
                        {
                            timedCrops.Add(crop);
                            crop = null;
                        }
                    }

                    crop?.Image.Dispose();
                }
            }
            catch (ImageRejectedException)
            {
                faces[i] = null;
            }

            lock (progress)
            {
                progress.Advance();
            }
        });
        progress.Done();
        var found = faces.Where(f => f is not null).Select(f => f!).ToList();
        var detectSeconds = detectTicks / (double)Stopwatch.Frequency / Math.Max(1, found.Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"faces found on {found.Count}/{photos.Count} photos; decode+detect+crop {detectSeconds * 1000:F0} ms per photo (with {parse.GetValue(InProcessPipeline.ParallelOption)} in flight); {clock.Elapsed.TotalSeconds:F0} s in all"));

        // Speed: each variant as the attributes service runs it (EstimateAsync), one face at a time, on the same crops.
        var results = new List<VariantFigures>();
        for (var v = 0; v < variants.Count; v++)
        {
            var variant = variants[v];
            var seconds = double.NaN;
            if (timedCrops.Count > 0)
            {
                await estimator.EstimateAsync([timedCrops[0]], variant, token);
                var timer = Stopwatch.StartNew();
                foreach (var crop in timedCrops)
                {
                    await estimator.EstimateAsync([crop], variant, token);
                }

                seconds = timer.Elapsed.TotalSeconds / timedCrops.Count;
            }

            results.Add(Figures(variant, found.Select(f => (f.Photo, f.Answers[v])).ToList(), seconds, detectSeconds));
        }

        foreach (var crop in timedCrops)
        {
            crop.Image.Dispose();
        }

        Print(results, found.Count, photos.Count);
        PrintIdentities(variants, found);
        if (jsonPath is not null)
        {
            var faceRows = found.Select(f => new
            {
                file = Path.GetFileName(f.Photo.Path),
                age = f.Photo.Age,
                gender = f.Photo.Gender,
                answers = variants.Select((v, k) => new { variant = v.ToString(), age = MathF.Round(f.Answers[k].Age, 2), male = MathF.Round(f.Answers[k].MaleProbability, 4) }),
            });
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { data, photos = photos.Count, faces = found.Count, detect_seconds_per_photo = detectSeconds, variants = results, answers = faceRows }, Json), token);
            Console.WriteLine($"wrote {jsonPath}");
        }

        return 0;
    }

    private static VariantFigures Figures(AgeGenderVariant variant, List<(LabelledPhoto Photo, AgeGender Answer)> all, double secondsPerFace, double detectSeconds)
    {
        // Age figures from the photos labelled with an age; gender figures from all.
        var faces = all.Where(f => f.Photo.Age is not null).ToList();
        static double Mae(IEnumerable<(LabelledPhoto Photo, AgeGender Answer)> xs) => xs.Select(x => (double)Math.Abs(x.Answer.Age - x.Photo.Age!.Value)).DefaultIfEmpty(double.NaN).Average();
        static double Bias(IEnumerable<(LabelledPhoto Photo, AgeGender Answer)> xs) => xs.Select(x => (double)(x.Answer.Age - x.Photo.Age!.Value)).DefaultIfEmpty(double.NaN).Average();
        static double GenderAccuracy(IEnumerable<(LabelledPhoto Photo, AgeGender Answer)> xs) => xs.Select(x => x.Answer.GenderLabel == x.Photo.Gender ? 1.0 : 0.0).DefaultIfEmpty(double.NaN).Average();
        var bands = Bands.Select(b =>
        {
            var inBand = faces.Where(f => f.Photo.Age >= b.Low && f.Photo.Age <= b.High).ToList();
            return new BandFigures(b.Name, inBand.Count, Mae(inBand), Bias(inBand), GenderAccuracy(inBand));
        }).ToList();
        var ranges = faces.Select(f => (f.Photo.Age!.Value, Range: AgeRange.For(f.Answer.Age))).ToList();
        return new VariantFigures(
            variant.ToString(),
            all.Count,
            Mae(faces),
            bands.Where(b => b.Faces > 0).Select(b => b.AgeMae).DefaultIfEmpty(double.NaN).Average(),
            bands.Where(b => b.Faces > 0).Select(b => b.AgeMae).DefaultIfEmpty(double.NaN).Max(),
            GenderAccuracy(all),
            GenderAccuracy(all.Where(f => f.Photo.Gender == "male")),
            GenderAccuracy(all.Where(f => f.Photo.Gender == "female")),
            ranges.Count == 0 ? double.NaN : ranges.Count(r => r.Item1 >= r.Range.Low && r.Item1 <= r.Range.High) / (double)ranges.Count,
            ranges.Select(r => (double)(r.Range.High - r.Range.Low)).DefaultIfEmpty(double.NaN).Average(),
            secondsPerFace * 1000,
            1 / (detectSeconds + secondsPerFace),
            bands);
    }

    private static void Print(List<VariantFigures> results, int faces, int photos)
    {
        Console.WriteLine($"variant | faces | age MAE | mean of band MAEs | worst band | {string.Join(" | ", Bands.Select(b => $"MAE {b.Name}"))} | gender acc | male | female | {string.Join(" | ", Bands.Select(b => $"gender {b.Name}"))} | AgeRange holds | range width | ms/face | photos/s");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{r.Variant} | {r.Faces} | {r.AgeMae:F2} | {r.BandMeanAgeMae:F2} | {r.WorstBandAgeMae:F2} | {string.Join(" | ", r.Bands.Select(b => b.AgeMae.ToString("F2", CultureInfo.InvariantCulture)))} | {r.GenderAccuracy:F4} | {r.MaleAccuracy:F4} | {r.FemaleAccuracy:F4} | {string.Join(" | ", r.Bands.Select(b => b.GenderAccuracy.ToString("F3", CultureInfo.InvariantCulture)))} | {r.AgeRangeCoverage:F3} | {r.AgeRangeWidth:F1} | {r.MillisecondsPerFace:F1} | {r.PhotosPerSecond:F2}"));
        }

        foreach (var r in results)
        {
            Console.WriteLine($"{r.Variant} bias (estimate - label) by band: {string.Join(", ", r.Bands.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Band} {b.AgeBias:+0.0;-0.0} (n={b.Faces})")))}");
        }

        Console.WriteLine($"faces={faces}/{photos}");
    }

    /// <summary>Per identity (photos labelled with one), each variant's gender accuracy: which people a variant gets wrong.</summary>
    private static void PrintIdentities(List<AgeGenderVariant> variants, List<FaceAnswers> faces)
    {
        var people = faces.Where(f => f.Photo.Identity is not null).GroupBy(f => f.Photo.Identity!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (people.Count == 0)
        {
            return;
        }

        Console.WriteLine($"identity | gender | photos | {string.Join(" | ", variants)} (photos answered with the labelled gender)");
        foreach (var person in people)
        {
            var photos = person.ToList();
            Console.WriteLine($"{person.Key} | {photos[0].Photo.Gender} | {photos.Count} | {string.Join(" | ", variants.Select((_, v) => photos.Count(f => f.Answers[v].GenderLabel == f.Photo.Gender)))}");
        }

        Console.WriteLine($"people: {people.Count}; all correct per variant: {string.Join(", ", variants.Select((variant, v) => $"{variant} {people.Count(p => p.All(f => f.Answers[v].GenderLabel == f.Photo.Gender))}"))}");
    }

    private sealed record FaceAnswers(LabelledPhoto Photo, IReadOnlyList<AgeGender> Answers);

    /// <summary>One band of labelled age.</summary>
    private sealed record BandFigures(string Band, int Faces, double AgeMae, double AgeBias, double GenderAccuracy);

    /// <summary>One variant's figures; speed: the variant alone per face, and whole photos (decode, detect, crop and the variant) per second on one flow.</summary>
    private sealed record VariantFigures(
        string Variant, int Faces, double AgeMae, double BandMeanAgeMae, double WorstBandAgeMae, double GenderAccuracy, double MaleAccuracy, double FemaleAccuracy,
        double AgeRangeCoverage, double AgeRangeWidth, double MillisecondsPerFace, double PhotosPerSecond, IReadOnlyList<BandFigures> Bands);
}
