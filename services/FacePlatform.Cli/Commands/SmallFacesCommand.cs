using System.CommandLine;
using System.Drawing;
using System.Globalization;
using System.Text.Json;
using FacePlatform.Vision.Imaging;
using SkiaSharp;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl eval make-small-faces</c>: a labelled data set for the detector's small-face recall. Real faces, found
/// by the pipeline in large single-face photos, are scaled down so their boxes measure a given number of pixels and
/// pasted at random places of a large photo without faces; the manifest holds the pasted boxes, so
/// <c>facectl eval detect</c> measures recall at IoU 0.5 on it.
/// </summary>
internal static class SmallFacesCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var sources = new Argument<string[]>("SOURCES") { Description = "Photos or folders of photos with one large face each", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Output folder (gets the photos and manifest.json)", Required = true };
        var background = new Option<string>("--background") { Description = "A photo without human faces, stretched to the canvas", Required = true };
        var sizes = new Option<string>("--sizes") { Description = "Face box sides in pixels, comma-separated", DefaultValueFactory = _ => "20,28,40" };
        var width = new Option<int>("--width") { Description = "Canvas width", DefaultValueFactory = _ => 3872 };
        var height = new Option<int>("--height") { Description = "Canvas height", DefaultValueFactory = _ => 2592 };
        var faces = new Option<int>("--faces") { Description = "Faces per photo", DefaultValueFactory = _ => 40 };
        var photos = new Option<int>("--photos") { Description = "Photos per size", DefaultValueFactory = _ => 2 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the placement", DefaultValueFactory = _ => 7 };
        var command = new Command("make-small-faces", "Build a labelled set of small faces pasted into large photos") { sources, output, background, sizes, width, height, faces, photos, seed };
        InProcessPipeline.AddTo(command);
        command.SetAction((parse, token) => RunAsync(
            parse,
            parse.GetRequiredValue(sources),
            parse.GetRequiredValue(output),
            parse.GetRequiredValue(background),
            [.. parse.GetRequiredValue(sizes).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
            new Size(parse.GetValue(width), parse.GetValue(height)),
            parse.GetValue(faces),
            parse.GetValue(photos),
            parse.GetValue(seed),
            token));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parse, string[] sources, string output, string background, int[] sizes, Size canvasSize, int facesPerPhoto, int photosPerSize, int seed, CancellationToken token)
    {
        // Faces to paste: the largest face of each source photo, when it is large and confident.
        var pieces = new List<(SKBitmap Bitmap, RectangleF Face)>();
        await using (var pipeline = InProcessPipeline.Create(parse))
        {
            foreach (var file in InProcessPipeline.ExpandPaths(sources))
            {
                var bytes = await File.ReadAllBytesAsync(file, token);
                using var image = ImageDecoder.Decode(bytes);
                var found = await pipeline.Analyzer.Detector.DetectAsync(image, 1, 0, token);
                if (found is [{ Score: >= 0.8f } face] && face.Box.Width >= 60)
                {
                    pieces.Add((SKBitmap.Decode(bytes), face.Box));
                }
            }
        }

        if (pieces.Count == 0)
        {
            await Console.Error.WriteLineAsync("[make-small-faces] no source photo has one large confident face");
            return 1;
        }

        Directory.CreateDirectory(output);
        using var backdrop = SKBitmap.Decode(background) ?? throw new InvalidOperationException($"cannot decode {background}");
        var random = new Random(seed);
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        var files = new List<object>();
        foreach (var size in sizes)
        {
            for (var p = 0; p < photosPerSize; p++)
            {
                using var surface = SKSurface.Create(new SKImageInfo(canvasSize.Width, canvasSize.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
                var canvas = surface.Canvas;
                using (var backdropImage = SKImage.FromBitmap(backdrop))
                {
                    canvas.DrawImage(backdropImage, SKRect.Create(canvasSize.Width, canvasSize.Height), sampling);
                }

                // One face per cell of a grid four faces wide, in random cells, at a random place inside the cell.
                var cell = size * 4;
                var columns = canvasSize.Width / cell;
                var rows = canvasSize.Height / cell;
                var cells = Enumerable.Range(0, columns * rows).OrderBy(_ => random.Next()).Take(facesPerPhoto).ToList();
                var boxes = new List<float[]>();
                foreach (var index in cells)
                {
                    var (bitmap, face) = pieces[random.Next(pieces.Count)];
                    var scale = size / MathF.Max(face.Width, face.Height);
                    // The source region: the face with a margin of one face side around it, clipped to the photo.
                    var source = SKRect.Create(face.X - face.Width, face.Y - face.Height, face.Width * 3, face.Height * 3);
                    source.Intersect(SKRect.Create(bitmap.Width, bitmap.Height));
                    var x = (index % columns * cell) + (size * 1.5f) + (random.NextSingle() * size);
                    var y = (index / columns * cell) + (size * 1.5f) + (random.NextSingle() * size);
                    var destination = SKRect.Create(x - ((face.X - source.Left) * scale), y - ((face.Y - source.Top) * scale), source.Width * scale, source.Height * scale);
                    using var image = SKImage.FromBitmap(bitmap);
                    canvas.DrawImage(image, source, destination, sampling);
                    boxes.Add([x, y, face.Width * scale, face.Height * scale]);
                }

                var name = $"small-{size}px-{p}.jpg";
                using (var snapshot = surface.Snapshot())
                using (var data = snapshot.Encode(SKEncodedImageFormat.Jpeg, 92))
                await using (var stream = File.Create(Path.Combine(output, name)))
                {
                    data.SaveTo(stream);
                }

                files.Add(new { file = name, face_count = boxes.Count, boxes, categories = new[] { $"small-{size}px" } });
                await Console.Error.WriteLineAsync($"[make-small-faces] {name}: {boxes.Count} faces of {size} px");
            }
        }

        await File.WriteAllTextAsync(
            Path.Combine(output, "manifest.json"),
            JsonSerializer.Serialize(new { source = "facectl eval make-small-faces", sources, background, files }, Indented),
            token);
        foreach (var (bitmap, _) in pieces)
        {
            bitmap.Dispose();
        }

        return 0;
    }
}
