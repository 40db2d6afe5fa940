using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FacePlatform.ModelImport.Conversion;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Tensors;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl models calibrate-int8</c>: the activation ranges of an int8 variant, measured on real face crops. Every
/// face of the photos is cut as the recogniser cuts it (the same detector and alignment as the services), run through
/// the float model with each quantised activation (<see cref="ModelVariants.QuantisedActivations"/>) as an extra
/// output, and each activation's upper bound is a high percentile of its values over all crops (a histogram of 4096
/// bins over the Clip's range). The same crops then measure the embedding cosine of the float model with the int8
/// variant made with and without the ranges, and closed-set rank-1 identification on the identity-labelled one-face
/// photos among them (each person's first photo enrolled, every other photo searched) — within one model, and with
/// int8 queries against a float gallery (what <c>fast</c> would mean for a collection of float vectors). <c>--write</c> merges the ranges into the importer's catalogue
/// (services/FacePlatform.ModelImport/Catalogue/activation-ranges.json); the importer makes the variant with them.
/// </summary>
internal static class Int8CalibrationCommand
{
    private const int Bins = 4096;

    public static Command Create()
    {
        var data = new Argument<string[]>("PHOTOS")
        {
            Description = "Photo folders or files (never a data set whose terms forbid fitting to it, e.g. utkface-dev)",
            Arity = ArgumentArity.OneOrMore,
        };
        var variant = new Option<string>("--variant") { Description = "The int8 variant to calibrate", DefaultValueFactory = _ => "faceres-int8" };
        var percentile = new Option<double>("--percentile")
        {
            Description = "Percentile of each activation's values taken as its upper bound (100 = the largest value seen)",
            DefaultValueFactory = _ => 99.99,
        };
        var exclude = new Option<string[]>("--exclude")
        {
            Description = "Leave out photos under folders of these names",
            DefaultValueFactory = _ => ["utkface-dev"],
            AllowMultipleArgumentsPerToken = true,
        };
        var write = new Option<string?>("--write") { Description = "Merge the ranges into this JSON file (variant → calibration)" };
        var command = new Command("calibrate-int8", "Activation ranges of an int8 variant from face crops, and its cosine with the float model with and without them")
        {
            data, variant, percentile, exclude, write,
        };
        InProcessPipeline.AddTo(command);
        command.SetAction((parse, token) => RunAsync(
            parse, parse.GetRequiredValue(data), parse.GetRequiredValue(variant), parse.GetValue(percentile), parse.GetValue(exclude) ?? [], parse.GetValue(write), token));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parse, string[] data, string variantName, double percentile, string[] exclude, string? write, CancellationToken token)
    {
        if (percentile is <= 50 or > 100)
        {
            Console.Error.WriteLine("[calibrate-int8] --percentile must be in (50, 100]");
            return 2;
        }

        var spec = ModelImport.Catalogue.ModelCatalogue.Variants.FirstOrDefault(v => v.Name == variantName && v.Precision == "int8");
        if (spec is null)
        {
            Console.Error.WriteLine($"[calibrate-int8] '{variantName}' is not an int8 variant of the catalogue");
            return 2;
        }

        var photos = InProcessPipeline.ExpandPaths(data)
            .Where(p => !exclude.Any(e => p.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Contains(e, StringComparer.Ordinal)))
            .ToList();
        await using var pipeline = InProcessPipeline.Create(parse);
        var analyzer = pipeline.Analyzer;
        if (ModelImport.Catalogue.ModelCatalogue.Get(spec.Of).Task == "face-detection")
        {
            return await CalibrateDetectorAsync(parse, pipeline, spec, photos, data, percentile, exclude, write, token);
        }

        if (analyzer.Recogniser.BackboneId != spec.Of)
        {
            Console.Error.WriteLine($"[calibrate-int8] the pipeline's recogniser is '{analyzer.Recogniser.BackboneId}'; pass --model {spec.Of}");
            return 2;
        }

        // The crops, as the recogniser cuts them.
        var crops = new List<byte[]>();
        var size = analyzer.Recogniser.InputSize;
        foreach (var path in photos)
        {
            try
            {
                using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(path, token));
                foreach (var face in await analyzer.Detector.DetectAsync(image, cancellationToken: token))
                {
                    using var crop = analyzer.Recogniser.Align(image, face);
                    crops.Add(crop.ToArray());
                }
            }
            catch (ImageRejectedException)
            {
                // Not a photo the pipeline reads: nothing to calibrate on.
            }
        }

        var entry = pipeline.Catalog.Manifest.Find(spec.Of) ?? throw new InvalidOperationException($"'{spec.Of}' is not in the manifest");
        var directory = ModelDirectory.Resolve(parse.GetValue(InProcessPipeline.ModelsOption) ?? Environment.GetEnvironmentVariable("Models__Directory"));
        var baseModel = Onnx.ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(Path.Combine(directory, entry.File), token));
        // A recogniser's crops calibrate its Clip outputs only: its signed tensors (the input's transpose) stay float.
        var signed = ModelVariants.SignedActivations(baseModel.Graph, baseModel.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal));
        var activations = ModelVariants.QuantisedActivations(baseModel).Where(a => !signed.Contains(a)).ToList();
        const float Top = 6f;
        var embeddingName = entry.Outputs[0].Name;
        var (ranges, _) = MeasureRanges(baseModel, activations, new HashSet<string>(), () => crops.Select(c => Input(entry, c, size)), percentile);
        var floatEmbeddings = Embeddings(baseModel, entry, crops, size, embeddingName);

        var uncalibratedModel = ModelVariants.Int8Static(baseModel).Model;
        var calibratedModel = ModelVariants.Int8Static(baseModel, ranges).Model;
        var uncalibrated = Cosines(uncalibratedModel, entry, crops, size, floatEmbeddings, embeddingName);
        var calibrated = Cosines(calibratedModel, entry, crops, size, floatEmbeddings, embeddingName);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"variant={variantName} photos={photos.Count} crops={crops.Count} activations={activations.Count} percentile={percentile} bounds={ranges.Values.Min():F3}..{ranges.Values.Max():F3} (clip {Top})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cosine_with_float uncalibrated min={uncalibrated.Min():F4} mean={uncalibrated.Average():F4}  calibrated min={calibrated.Min():F4} mean={calibrated.Average():F4}"));

        // Rank-1 on the identity-labelled one-face photos (the largest face of each).
        var labelled = EvalRuns.VerificationPhotos(LabelledPhoto.Load(data))
            .Where(p => !exclude.Any(e => p.Path.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Contains(e, StringComparer.Ordinal)))
            .ToList();
        var probes = new List<(string Identity, string Path, byte[] Crop)>();
        foreach (var photo in labelled)
        {
            try
            {
                using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(photo.Path, token));
                if ((await analyzer.Detector.DetectAsync(image, cancellationToken: token)).MaxBy(f => f.Box.Width * f.Box.Height) is { } face)
                {
                    using var crop = analyzer.Recogniser.Align(image, face);
                    probes.Add((photo.Identity!, photo.Path, crop.ToArray()));
                }
            }
            catch (ImageRejectedException)
            {
                // Not a photo the pipeline reads.
            }
        }

        var probeCrops = probes.Select(p => p.Crop).ToList();
        var floatVectors = Embeddings(baseModel, entry, probeCrops, size, embeddingName);
        var uncalibratedVectors = Embeddings(uncalibratedModel, entry, probeCrops, size, embeddingName);
        var calibratedVectors = Embeddings(calibratedModel, entry, probeCrops, size, embeddingName);
        string Rank1(List<float[]> gallery, List<float[]> queries)
        {
            var (hits, searched) = RankOne(probes.Select(p => (p.Identity, p.Path)).ToList(), gallery, queries);
            return string.Create(CultureInfo.InvariantCulture, $"{hits}/{searched} ({(double)hits / Math.Max(1, searched):F3})");
        }

        Console.WriteLine(
            $"rank1 photos={probes.Count} identities={probes.Select(p => p.Identity).Distinct().Count()}: float/float {Rank1(floatVectors, floatVectors)}  " +
            $"int8-uncalibrated/int8-uncalibrated {Rank1(uncalibratedVectors, uncalibratedVectors)}  int8/int8 {Rank1(calibratedVectors, calibratedVectors)}  " +
            $"float gallery/int8 queries {Rank1(floatVectors, calibratedVectors)}  float gallery/int8-uncalibrated queries {Rank1(floatVectors, uncalibratedVectors)}");

        if (write is not null)
        {
            await WriteAsync(write, spec, data, exclude, percentile, crops.Count, "every face of the photos", ranges, null, token);
        }

        return 0;
    }

    /// <summary>
    /// A detector's ranges: every tile of every photo, cut as <see cref="FaceDetector.DetectAsync"/> plans it (the
    /// pipeline's detection options), run through the float model. The convolution outputs inside the residual blocks are
    /// signed and get a lower bound too ((100 − percentile)th). Accuracy is not judged here: <c>facectl eval detect
    /// --detector VARIANT</c> and <c>facectl models bench</c> measure the re-imported variant.
    /// </summary>
    private static async Task<int> CalibrateDetectorAsync(
        ParseResult parse, InProcessPipeline pipeline, ModelImport.Catalogue.VariantSpec spec, List<string> photos, string[] data, double percentile, string[] exclude,
        string? write, CancellationToken token)
    {
        if (pipeline.Analyzer.Detector is not FaceDetector detector || !detector.ModelIds.Contains(spec.Of))
        {
            Console.Error.WriteLine($"[calibrate-int8] the pipeline's detector is not '{spec.Of}'; pass --detector {spec.Of}");
            return 2;
        }

        var entry = pipeline.Catalog.Manifest.Find(spec.Of) ?? throw new InvalidOperationException($"'{spec.Of}' is not in the manifest");
        var directory = ModelDirectory.Resolve(parse.GetValue(InProcessPipeline.ModelsOption) ?? Environment.GetEnvironmentVariable("Models__Directory"));
        var baseModel = Onnx.ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(Path.Combine(directory, entry.File), token));
        var size = (int)entry.Input.Shape[1];
        var format = PixelFormat.From(entry.Input);
        var options = detector.Options;
        IEnumerable<NamedOnnxValue> Tiles()
        {
            foreach (var path in photos)
            {
                RgbImage image;
                try
                {
                    image = ImageDecoder.Decode(File.ReadAllBytes(path));
                }
                catch (ImageRejectedException)
                {
                    continue;
                }

                using (image)
                {
                    var minFace = options.MinFaceFor(image.Width, image.Height);
                    foreach (var tile in TilePlan.Plan(image.Width, image.Height, size, minFace, options.MinDetectableInput, maxTiles: options.MaxTiles))
                    {
                        var tensor = new DenseTensor<float>([1, size, size, 3]);
                        ImageSampler.ResampleAxisAligned(image, tile.X, tile.Width / size, tile.Y, tile.Height / size, size, size, EdgeMode.Zero, format, tensor.Buffer.Span);
                        yield return NamedOnnxValue.CreateFromTensor(entry.Input.Name, tensor);
                    }
                }
            }
        }

        var activations = ModelVariants.QuantisedActivations(baseModel);
        var signed = ModelVariants.SignedActivations(baseModel.Graph, baseModel.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal));
        var (ranges, lows) = MeasureRanges(baseModel, activations, signed, Tiles, percentile);
        var tiles = Tiles().Count();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"variant={spec.Name} photos={photos.Count} tiles={tiles} activations={activations.Count} (signed {signed.Count}) percentile={percentile} " +
            $"upper bounds {ranges.Values.Min():F3}..{ranges.Values.Max():F3}, lower bounds {(lows.Count > 0 ? lows.Values.Min() : 0):F3}..{(lows.Count > 0 ? lows.Values.Max() : 0):F3}"));
        if (write is not null)
        {
            await WriteAsync(write, spec, data, exclude, percentile, tiles, "every detector tile of the photos", ranges, lows, token);
        }

        return 0;
    }

    /// <summary>
    /// Each activation's range over <paramref name="samples"/> (run twice: the extremes, then a histogram of
    /// <see cref="Bins"/> bins between them): the upper bound is the <paramref name="percentile"/>th percentile, and for
    /// <paramref name="signed"/> tensors the lower bound the (100 − percentile)th; 100 takes the extremes.
    /// </summary>
    private static (Dictionary<string, float> Ranges, Dictionary<string, float> Lows) MeasureRanges(
        Onnx.ModelProto model, IReadOnlyList<string> activations, IReadOnlySet<string> signed, Func<IEnumerable<NamedOnnxValue>> samples, double percentile)
    {
        var lowest = activations.ToDictionary(a => a, _ => 0f, StringComparer.Ordinal);
        var largest = activations.ToDictionary(a => a, _ => 0f, StringComparer.Ordinal);
        var histograms = activations.ToDictionary(a => a, _ => new long[Bins], StringComparer.Ordinal);
        using var session = new InferenceSession(ModelVariants.WithOutputs(model, activations).ToByteArray());
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var sample in samples())
            {
                using var results = session.Run([sample]);
                foreach (var result in results.Where(r => largest.ContainsKey(r.Name)))
                {
                    var (low, high) = (lowest[result.Name], largest[result.Name]);
                    if (pass == 0)
                    {
                        foreach (var value in result.AsEnumerable<float>())
                        {
                            (low, high) = (Math.Min(low, value), Math.Max(high, value));
                        }

                        (lowest[result.Name], largest[result.Name]) = (low, high);
                    }
                    else
                    {
                        var histogram = histograms[result.Name];
                        var width = Math.Max(high - low, 1e-6f);
                        foreach (var value in result.AsEnumerable<float>())
                        {
                            histogram[Math.Clamp((int)((value - low) / width * Bins), 0, Bins - 1)]++;
                        }
                    }
                }
            }

            if (percentile >= 100)
            {
                break;
            }
        }

        var ranges = new Dictionary<string, float>(StringComparer.Ordinal);
        var lows = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var activation in activations)
        {
            var (low, high) = (lowest[activation], largest[activation]);
            ranges[activation] = percentile >= 100 ? high : low + Percentile(histograms[activation], percentile, high - low);
            if (signed.Contains(activation))
            {
                lows[activation] = percentile >= 100 ? low : low + Percentile(histograms[activation], 100 - percentile, high - low) - ((high - low) / Bins);
            }
        }

        return (ranges, lows);
    }

    private static async Task WriteAsync(
        string write, ModelImport.Catalogue.VariantSpec spec, string[] data, string[] exclude, double percentile, int samples, string what,
        Dictionary<string, float> ranges, Dictionary<string, float>? lows, CancellationToken token)
    {
        var all = File.Exists(write)
            ? JsonSerializer.Deserialize(await File.ReadAllTextAsync(write, token), ManifestJsonContext.Default.DictionaryStringActivationCalibration) ?? []
            : new Dictionary<string, ActivationCalibration>(StringComparer.Ordinal);
        var folders = string.Join(", ", data.Select(d => Path.GetFileName(Path.TrimEndingDirectorySeparator(d))));
        all[spec.Name] = new ActivationCalibration(
            $"{what} under {folders} (without {string.Join(", ", exclude)}), cut as {spec.Of} cuts it",
            string.Create(CultureInfo.InvariantCulture, $"{percentile}th percentile of each activation over all {(lows is { Count: > 0 } ? "tiles" : "crops")}{(lows is { Count: > 0 } ? $", {(100 - percentile).ToString("0.####", CultureInfo.InvariantCulture)}th for the signed ones" : "")}"),
            samples,
            ranges.ToDictionary(r => r.Key, r => MathF.Round(r.Value, 4), StringComparer.Ordinal),
            lows is { Count: > 0 } ? lows.ToDictionary(r => r.Key, r => MathF.Round(r.Value, 4), StringComparer.Ordinal) : null);
        await File.WriteAllTextAsync(write, JsonSerializer.Serialize(all, ManifestJsonContext.Default.DictionaryStringActivationCalibration) + "\n", token);
        Console.WriteLine($"wrote {spec.Name} to {write}; re-import (facectl models import --only {spec.Name}) to make the variant with them");
    }

    /// <summary>The model's input for one crop (size² RGB bytes), as its manifest entry says: NHWC, value·scale + offset.</summary>
    private static NamedOnnxValue Input(ModelEntry entry, byte[] crop, int size)
    {
        var tensor = new DenseTensor<float>([1, size, size, 3]);
        var span = tensor.Buffer.Span;
        for (var i = 0; i < crop.Length; i++)
        {
            span[i] = (float)(crop[i] * entry.Input.Scale + entry.Input.Offset);
        }

        return NamedOnnxValue.CreateFromTensor(entry.Input.Name, tensor);
    }

    /// <summary>The value below which <paramref name="percentile"/>% of the histogram's counts lie, over 0..<paramref name="top"/>.</summary>
    private static float Percentile(long[] histogram, double percentile, float top)
    {
        var total = histogram.Sum();
        var wanted = (long)Math.Ceiling(total * percentile / 100);
        long seen = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            seen += histogram[i];
            if (seen >= wanted)
            {
                return (i + 1) * top / histogram.Length;
            }
        }

        return top;
    }

    private static List<double> Cosines(Onnx.ModelProto model, ModelEntry entry, List<byte[]> crops, int size, List<float[]> reference, string output)
    {
        using var session = new InferenceSession(model.ToByteArray());
        var cosines = new List<double>(crops.Count);
        for (var i = 0; i < crops.Count; i++)
        {
            using var results = session.Run([Input(entry, crops[i], size)]);
            var vector = results.First(r => r.Name == output).AsEnumerable<float>().ToArray();
            cosines.Add(Cosine(reference[i], vector));
        }

        return cosines;
    }

    private static List<float[]> Embeddings(Onnx.ModelProto model, ModelEntry entry, List<byte[]> crops, int size, string output)
    {
        using var session = new InferenceSession(model.ToByteArray());
        var vectors = new List<float[]>(crops.Count);
        foreach (var crop in crops)
        {
            using var results = session.Run([Input(entry, crop, size)]);
            vectors.Add(results.First(r => r.Name == output).AsEnumerable<float>().ToArray());
        }

        return vectors;
    }

    /// <summary>
    /// Closed-set rank-1: per person with two or more photos the first (by path) is enrolled from
    /// <paramref name="gallery"/>, every other photo is searched with its vector from <paramref name="queries"/> among all
    /// enrolled people; a hit when the most similar is the same person.
    /// </summary>
    private static (int Hits, int Searched) RankOne(List<(string Identity, string Path)> photos, List<float[]> gallery, List<float[]> queries)
    {
        var enrolled = photos.Select((p, i) => (p.Identity, p.Path, Index: i))
            .GroupBy(p => p.Identity)
            .Where(g => g.Count() >= 2)
            .Select(g => g.OrderBy(p => p.Path, StringComparer.Ordinal).First())
            .ToList();
        var enrolledIndices = enrolled.Select(e => e.Index).ToHashSet();
        var people = enrolled.Select(e => e.Identity).ToHashSet(StringComparer.Ordinal);
        int hits = 0, searched = 0;
        for (var i = 0; i < photos.Count; i++)
        {
            if (enrolledIndices.Contains(i) || !people.Contains(photos[i].Identity))
            {
                continue;
            }

            searched++;
            var best = enrolled.MaxBy(e => Cosine(gallery[e.Index], queries[i]));
            hits += best.Identity == photos[i].Identity ? 1 : 0;
        }

        return (hits, searched);
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
