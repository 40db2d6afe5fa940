using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Tensors;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl eval faceapi-age-gender DIR</c>: the imported face-api age-gender net alone on a folder of face chips
/// labelled in a <c>manifest.json</c> (utkface-dev's layout: <c>files[].file</c>, <c>age</c>, <c>gender</c>), each whole
/// chip resized to the net's input as face-api's <c>resizeBilinear</c> does (no detector, no crop). Outside the serving
/// pipeline on purpose: the family is imported, not yet plugged in (issue 17).
/// </summary>
internal static class FaceApiAgeGenderCommand
{
    private const string Model = "faceapi-age-gender";

    public static Command Create()
    {
        var data = new Argument<string>("DIR") { Description = "Folder with manifest.json listing chips with age and gender" };
        var dir = new Option<string>("--models")
        {
            Description = "Model directory; default $FACEPLATFORM_MODELS_DIR or .data/models",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FACEPLATFORM_MODELS_DIR") is { Length: > 0 } env ? env : ".data/models",
        };
        var command = new Command(Model, "The face-api age-gender net alone on whole labelled face chips: gender accuracy and age MAE by band") { data, dir };
        command.SetAction(parse => Run(parse.GetRequiredValue(data), parse.GetRequiredValue(dir)));
        return command;
    }

    private static int Run(string data, string models)
    {
        var manifest = ModelManifest.Load(models);
        if (manifest.Find(Model) is not { } entry)
        {
            Console.Error.WriteLine($"[eval] the manifest in {Path.GetFullPath(models)} has no '{Model}'; run deploy/local/models.sh");
            return 1;
        }

        using var model = OnnxModel.Load(manifest, entry, new InferenceOptions { IntraOpThreads = 1 }, NullLogger.Instance);
        var size = model.InputWidth;
        var format = PixelFormat.From(entry.Input);
        using var labels = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(data, "manifest.json")));
        var rows = new List<(int Age, bool Male, float PredictedAge, bool PredictedMale)>();
        var input = new float[model.SampleSize];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var file in labels.RootElement.GetProperty("files").EnumerateArray())
        {
            var age = file.GetProperty("age").GetInt32();
            var male = file.GetProperty("gender").GetString() == "male";
            using var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(data, file.GetProperty("file").GetString()!)));
            // tf.image.resizeBilinear without align_corners or half-pixel centres: source = destination · in/out.
            ImageSampler.ResampleAxisAligned(
                image, 0, image.Width / (float)size, 0, image.Height / (float)size, size, size, EdgeMode.Clamp, format, input);
            var outputs = model.Run(input, 1);
            var gender = outputs["gender"].Data;
            rows.Add((age, male, outputs["age"].Data[0], gender[0] > 0.5f));
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"model={Model} photos={rows.Count} gender_accuracy={rows.Average(r => r.Male == r.PredictedMale ? 1.0 : 0.0):F3} age_mae={rows.Average(r => Math.Abs(r.PredictedAge - r.Age)):F2} photos_per_s={rows.Count / elapsed:F1}"));
        Console.WriteLine($"{"band",-8}{"n",6}{"age MAE",9}{"mean error",12}{"gender acc",12}");
        foreach (var (label, low, high) in new[] { ("0-19", 0, 19), ("20-39", 20, 39), ("40-59", 40, 59), ("60-79", 60, 79), ("80+", 80, 200) })
        {
            var band = rows.Where(r => r.Age >= low && r.Age <= high).ToList();
            if (band.Count > 0)
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{label,-8}{band.Count,6}{band.Average(r => Math.Abs(r.PredictedAge - r.Age)),9:F2}{band.Average(r => r.PredictedAge - r.Age),12:F2}{band.Average(r => r.Male == r.PredictedMale ? 1.0 : 0.0),12:F3}"));
            }
        }

        foreach (var (label, male) in new[] { ("male", true), ("female", false) })
        {
            var group = rows.Where(r => r.Male == male).ToList();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{label,-8}{group.Count,6}{group.Average(r => Math.Abs(r.PredictedAge - r.Age)),9:F2}{group.Average(r => r.PredictedAge - r.Age),12:F2}{group.Average(r => r.Male == r.PredictedMale ? 1.0 : 0.0),12:F3}"));
        }

        return 0;
    }
}
