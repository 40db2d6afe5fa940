using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl analyze [--embeddings] [--json] PATH...</c>: the platform's pipeline in-process on files and folders.
/// JSON Lines (one object per image) for programs, a table for people; a bad file gets an error and the run goes on.
/// </summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH") { Description = "Image files or folders (recursive)", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "JSON Lines on stdout, one line per image" };
        var embeddings = new Option<bool>("--embeddings") { Description = "Include each face's embedding" };
        var warmup = new Option<int>("--warmup") { Description = "Untimed passes over the files before the timed one (for benchmarks: no model loading or JIT in the figure)" };
        var command = new Command("analyze", "Detect faces and read identity embeddings, age, gender, emotion and liveness, in-process") { paths, json, embeddings, warmup };
        InProcessPipeline.AddTo(command);
        command.SetAction((parse, token) => RunAsync(parse, parse.GetRequiredValue(paths), parse.GetValue(json), parse.GetValue(embeddings), parse.GetValue(warmup), token));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string[] paths, bool json, bool embeddings, int warmup, CancellationToken token)
    {
        var files = InProcessPipeline.ExpandPaths(paths);
        if (files.Count == 0)
        {
            await Console.Error.WriteLineAsync("[analyze] no image files found");
            return 1;
        }

        await using var pipeline = InProcessPipeline.Create(parse);
        var request = new AnalysisRequest { Embed = embeddings };
        var parallel = Math.Max(1, parse.GetValue(InProcessPipeline.ParallelOption));
        for (var pass = 0; pass < warmup; pass++)
        {
            await Task.WhenAll(AnalyzeAll(pipeline.Analyzer, files, request, parallel, token));
        }

        var progress = files.Count > 1 ? new ProgressBar(files.Count) : null;
        var succeeded = 0;
        using var stdout = Console.OpenStandardOutput();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var faces = 0;
        // Up to `parallel` photos in flight; results are written in the files' order.
        foreach (var pending in AnalyzeAll(pipeline.Analyzer, files, request, parallel, token))
        {
            var result = await pending;
            if (result.Analysis is not null)
            {
                succeeded++;
                faces += result.Analysis.Faces.Count;
            }

            if (json)
            {
                WriteJsonLine(stdout, result, embeddings);
            }
            else
            {
                WriteTable(result);
            }

            progress?.Advance();
        }

        progress?.Done();
        await Console.Error.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"[analyze] {succeeded}/{files.Count} images, {faces} faces in {clock.Elapsed.TotalSeconds:F2} s ({files.Count / clock.Elapsed.TotalSeconds:F2} photos/s, {faces / clock.Elapsed.TotalSeconds:F2} faces/s)"));
        return succeeded > 0 ? 0 : 1;
    }

    private static List<Task<FileResult>> AnalyzeAll(FaceAnalyzer analyzer, List<string> files, AnalysisRequest request, int parallel, CancellationToken token)
    {
        var slots = new SemaphoreSlim(parallel);
        return [.. files.Select(async file =>
        {
            await slots.WaitAsync(token);
            try
            {
                return await AnalyzeFileAsync(analyzer, file, request, token);
            }
            finally
            {
                slots.Release();
            }
        })];
    }

    internal static async Task<FileResult> AnalyzeFileAsync(FaceAnalyzer analyzer, string file, AnalysisRequest request, CancellationToken token)
    {
        try
        {
            var bytes = await File.ReadAllBytesAsync(file, token);
            return new FileResult(file, await analyzer.AnalyzeAsync(bytes, request, token), null, null);
        }
        catch (ImageRejectedException ex)
        {
            return new FileResult(file, null, ex.CodeText, ex.Message);
        }
        catch (IOException ex)
        {
            return new FileResult(file, null, "unreadable", ex.Message);
        }
        catch (UnauthorizedAccessException ex)
        {
            return new FileResult(file, null, "unreadable", ex.Message);
        }
    }

    private static void WriteJsonLine(Stream stdout, FileResult result, bool embeddings)
    {
        using (var writer = new Utf8JsonWriter(stdout))
        {
            writer.WriteStartObject();
            writer.WriteString("file", result.File);
            var analysis = result.Analysis;
            if (analysis is null)
            {
                writer.WriteNull("width");
                writer.WriteNull("height");
                writer.WriteStartArray("faces");
                writer.WriteEndArray();
                writer.WriteStartObject("error");
                writer.WriteString("code", result.ErrorCode);
                writer.WriteString("message", result.ErrorMessage);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteNumber("width", analysis.Width);
                writer.WriteNumber("height", analysis.Height);
                writer.WriteStartArray("faces");
                foreach (var face in analysis.Faces)
                {
                    WriteFace(writer, face, embeddings);
                }

                writer.WriteEndArray();
                writer.WriteNull("error");
            }

            writer.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
        stdout.Flush();
    }

    private static void WriteFace(Utf8JsonWriter writer, FaceAnalysis face, bool embeddings)
    {
        writer.WriteStartObject();
        var box = face.Detection.Box;
        writer.WriteStartObject("box");
        writer.WriteNumber("x", Round(box.X));
        writer.WriteNumber("y", Round(box.Y));
        writer.WriteNumber("width", Round(box.Width));
        writer.WriteNumber("height", Round(box.Height));
        writer.WriteEndObject();
        writer.WriteNumber("score", Round(face.Detection.Score, 4));
        writer.WriteStartArray("landmarks");
        foreach (var point in face.Detection.Landmarks.ToArray())
        {
            writer.WriteStartObject();
            writer.WriteNumber("x", Round(point.X));
            writer.WriteNumber("y", Round(point.Y));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("quality", Round(face.Quality.Score, 3));
        var attributes = face.Attributes;
        if (attributes?.Age is { } age)
        {
            writer.WriteNumber("age", Round(age, 1));
        }
        else
        {
            writer.WriteNull("age");
        }

        if (attributes?.Gender is { } gender)
        {
            writer.WriteStartObject("gender");
            writer.WriteString("label", gender);
            writer.WriteNumber("probability", Round(attributes.GenderProbability ?? 0, 4));
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("gender");
        }

        if (attributes?.Emotions is { Count: > 0 } emotions)
        {
            writer.WriteStartObject("emotion");
            writer.WriteString("label", emotions[0].Label);
            writer.WriteStartObject("scores");
            foreach (var emotion in emotions)
            {
                writer.WriteNumber(emotion.Label, Round(emotion.Score, 4));
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("emotion");
        }

        writer.WriteStartObject("liveness");
        WriteOptional(writer, "real", attributes?.Real);
        WriteOptional(writer, "live", attributes?.Live);
        writer.WriteEndObject();
        if (embeddings && face.Embedding is { } embedding)
        {
            writer.WriteStartObject("embedding");
            writer.WriteString("model", embedding.ModelId);
            writer.WriteStartArray("vector");
            foreach (var value in embedding.Vector)
            {
                writer.WriteNumberValue(value);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, float? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, Round(v, 4));
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static double Round(float value, int digits = 1) => Math.Round(value, digits);

    private static void WriteTable(FileResult result)
    {
        if (result.Analysis is null)
        {
            Console.WriteLine($"{result.File}: error {result.ErrorCode}: {result.ErrorMessage}");
            return;
        }

        var analysis = result.Analysis;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.File} ({analysis.Width}x{analysis.Height}): {analysis.Faces.Count} face(s)"));
        if (analysis.Faces.Count == 0)
        {
            return;
        }

        Console.WriteLine($"  {"#",2}  {"box (x,y,w,h)",-24} {"score",5} {"qual",5} {"age",5}  {"gender",-14} {"emotion",-16} {"real",5} {"live",5}");
        var index = 0;
        foreach (var face in analysis.Faces)
        {
            var b = face.Detection.Box;
            var a = face.Attributes;
            var box = string.Create(CultureInfo.InvariantCulture, $"{b.X:F0},{b.Y:F0},{b.Width:F0},{b.Height:F0}");
            var gender = a?.Gender is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{a.Gender} {a.GenderProbability:F2}");
            var emotion = a?.Emotions is { Count: > 0 } e ? string.Create(CultureInfo.InvariantCulture, $"{e[0].Label} {e[0].Score:F2}") : "-";
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {index++,2}  {box,-24} {face.Detection.Score,5:F2} {face.Quality.Score,5:F2} {a?.Age,5:F1}  {gender,-14} {emotion,-16} {a?.Real,5:F2} {a?.Live,5:F2}"));
        }
    }

    internal sealed record FileResult(string File, PhotoAnalysis? Analysis, string? ErrorCode, string? ErrorMessage);
}

/// <summary>A one-line progress bar on stderr (only when stderr is a terminal or redirected to a log).</summary>
internal sealed class ProgressBar(int total)
{
    private int _done;

    public void Advance()
    {
        _done++;
        const int Width = 30;
        var filled = _done * Width / total;
        Console.Error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {_done}/{total}");
    }

    public void Done()
    {
        if (_done > 0)
        {
            Console.Error.WriteLine();
        }
    }
}
