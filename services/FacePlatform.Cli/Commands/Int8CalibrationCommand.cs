using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FacePlatform.ModelImport.Conversion;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
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
        var activations = ModelVariants.QuantisedActivations(baseModel);
        var histograms = activations.ToDictionary(a => a, _ => new long[Bins], StringComparer.Ordinal);
        var largest = activations.ToDictionary(a => a, _ => 0f, StringComparer.Ordinal);
        const float Top = 6f;
        var embeddingName = entry.Outputs[0].Name;
        var floatEmbeddings = new List<float[]>();
        using (var session = new InferenceSession(ModelVariants.WithOutputs(baseModel, activations).ToByteArray()))
        {
            foreach (var crop in crops)
            {
                using var results = session.Run([Input(entry, crop, size)]);
                foreach (var result in results)
                {
                    if (result.Name == embeddingName)
                    {
                        floatEmbeddings.Add(result.AsEnumerable<float>().ToArray());
                    }
                    else if (histograms.TryGetValue(result.Name, out var histogram))
                    {
                        var max = largest[result.Name];
                        foreach (var value in result.AsEnumerable<float>())
                        {
                            histogram[Math.Clamp((int)(value / Top * Bins), 0, Bins - 1)]++;
                            max = Math.Max(max, value);
                        }

                        largest[result.Name] = max;
                    }
                }
            }
        }

        var ranges = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var activation in activations)
        {
            ranges[activation] = percentile >= 100 ? largest[activation] : Percentile(histograms[activation], percentile, Top);
        }

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
            var all = File.Exists(write)
                ? JsonSerializer.Deserialize(await File.ReadAllTextAsync(write, token), ManifestJsonContext.Default.DictionaryStringActivationCalibration) ?? []
                : new Dictionary<string, ActivationCalibration>(StringComparer.Ordinal);
            var folders = string.Join(", ", data.Select(d => Path.GetFileName(Path.TrimEndingDirectorySeparator(d))));
            all[variantName] = new ActivationCalibration(
                $"every face of the photos under {folders} (without {string.Join(", ", exclude)}), cut as {spec.Of} cuts it",
                string.Create(CultureInfo.InvariantCulture, $"{percentile}th percentile of each activation over all crops"),
                crops.Count,
                ranges.ToDictionary(r => r.Key, r => MathF.Round(r.Value, 4), StringComparer.Ordinal));
            await File.WriteAllTextAsync(write, JsonSerializer.Serialize(all, ManifestJsonContext.Default.DictionaryStringActivationCalibration) + "\n", token);
            Console.WriteLine($"wrote {variantName} to {write}; re-import (facectl models import --only {variantName}) to make the variant with them");
        }

        return 0;
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
