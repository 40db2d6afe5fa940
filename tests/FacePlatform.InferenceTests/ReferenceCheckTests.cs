using System.Drawing;
using System.Globalization;
using System.Text.Json;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Geometry;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using Xunit.Abstractions;

namespace FacePlatform.InferenceTests;

/// <summary>
/// The reference check of the inference issue: the TF.js pipeline (Human 3.3.6) on the seven sample photos, decoded
/// with SkiaSharp-identical pixels (reference-output.sharp.json), against ours.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ReferenceCheckTests(PipelineFixture pipeline, ITestOutputHelper output)
{
    // Age tolerance: ours reads the expected value of the bins of a single-resampled box crop, Human the nudged argmax of a
    // double-resampled one. Measured on the 24 matched faces: mean |difference| 2.9 years, maximum 9.1 (one face of
    // sample5.jpg: 25.4 against Human's 16.3; docs/accuracy.md). With Human's own crop and readout our ages equal
    // Human's (the next test), so the gap is our crop and readout, on purpose.
    private const float AgeTolerance = 10f;

    private static JsonElement Reference { get; } =
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Paths.Harness, "reference-output.sharp.json"))).RootElement;

    [Fact]
    public async Task Every_confident_reference_face_is_found_with_its_age_and_gender()
    {
        int confident = 0, found = 0, atIou = 0, genderChecked = 0, genderSame = 0;
        var ageDifferences = new List<float>();
        var problems = new List<string>();
        var ourFaces = 0;
        foreach (var record in Reference.GetProperty("images").EnumerateArray())
        {
            var file = record.GetProperty("file").GetString()!;
            var analysis = await pipeline.Analyzer.AnalyzeAsync(File.ReadAllBytes(Path.Combine(Paths.Harness, "sample-images", file)), new AnalysisRequest { Embed = false });
            ourFaces += analysis.Faces.Count;
            foreach (var face in record.GetProperty("faces").EnumerateArray())
            {
                if (face.GetProperty("detectorScore").GetSingle() < 0.3f)
                {
                    continue;
                }

                confident++;
                var b = face.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                var humanBox = new RectangleF(b[0], b[1], b[2], b[3]);
                var match = analysis.Faces
                    .Select(f => (Face: f, Iou: BoxMath.IntersectionOverUnion(HumanConventionBox(f.Detection, analysis.Width, analysis.Height), humanBox)))
                    .OrderByDescending(m => m.Iou)
                    .FirstOrDefault();
                if (match.Face is null || (match.Iou < 0.5f && !SameFace(match.Face.Detection, humanBox)))
                {
                    problems.Add($"{file}: face at {humanBox} not found (best IoU {match.Iou:F2})");
                    continue;
                }

                // A face BlazeFace saw at ~10 input pixels in Human's single pass gets a looser box there than in our
                // finer tile; it counts as found when each box holds the other's centre (recorded in docs/accuracy.md).
                found++;
                atIou += match.Iou >= 0.5f ? 1 : 0;
                var humanAge = face.GetProperty("age").GetSingle();
                var age = match.Face.Attributes!.Age!.Value;
                ageDifferences.Add(MathF.Abs(age - humanAge));
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{file} box IoU {match.Iou:F2} age {age:F1} vs {humanAge:F1} gender {match.Face.Attributes.Gender} {match.Face.Attributes.GenderProbability:F2}");
                if (face.TryGetProperty("genderScore", out var genderScore) && genderScore.ValueKind == JsonValueKind.Number && genderScore.GetSingle() >= 0.5f)
                {
                    genderChecked++;
                    var same = face.GetProperty("gender").GetString() == match.Face.Attributes.Gender;
                    genderSame += same ? 1 : 0;
                    line += $" vs {face.GetProperty("gender").GetString()} {genderScore.GetSingle():F2}";
                    if (!same)
                    {
                        problems.Add($"{file}: gender {match.Face.Attributes.Gender} but Human is confident of {face.GetProperty("gender").GetString()}");
                    }
                }

                if (MathF.Abs(age - humanAge) > AgeTolerance)
                {
                    problems.Add($"{file}: age {age:F1}, Human {humanAge:F1}");
                }

                output.WriteLine(line);
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"confident reference faces {confident}, found {found} ({atIou} at IoU >= 0.5); gender agrees {genderSame}/{genderChecked}; age |diff| mean {ageDifferences.Average():F2} max {ageDifferences.Max():F2}; our faces in total {ourFaces}"));
        Assert.Empty(problems);
    }

    [Fact]
    public async Task Human_crops_give_the_reference_descriptor_age_and_gender()
    {
        // The same crop boxes as the reference, through our ONNX FaceRes: checks the import and the preprocessing.
        // The reference check is of the built-in FaceRes class (Human's crop and readout), not of the seam.
        var recogniser = Assert.IsType<Vision.Recognition.FaceRecogniser>(pipeline.Analyzer.Recogniser);
        var cosines = new List<double>();
        foreach (var record in Reference.GetProperty("images").EnumerateArray())
        {
            using var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(Paths.Harness, "sample-images", record.GetProperty("file").GetString()!)));
            var faces = record.GetProperty("faces").EnumerateArray().ToList();
            var detections = faces.Select(f =>
            {
                var c = f.GetProperty("preprocessing").GetProperty("crop").GetProperty("boxPx").EnumerateArray().Select(v => v.GetInt32()).ToArray();
                return new FaceDetection(default, 1, 1, default, default, Rectangle.FromLTRB(c[0], c[1], c[2], c[3]));
            }).ToList();
            var human = new Vision.Recognition.FaceRecogniser(recogniser.Runner, recogniser.Template, recogniser.Mode, Vision.Recognition.AgeReadout.Human);
            var results = await human.EmbedHumanCropsAsync(image, detections);
            for (var i = 0; i < faces.Count; i++)
            {
                var reference = Vision.Recognition.FaceEmbedding.Normalise([.. faces[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())]);
                var cosine = reference.Zip(results[i].Embedding.Vector, (x, y) => (double)x * y).Sum();
                cosines.Add(cosine);
                Assert.Equal(faces[i].GetProperty("age").GetSingle(), results[i].AgeGender!.Age, 0.25f);
                Assert.Equal(faces[i].GetProperty("preprocessing").GetProperty("faceres").GetProperty("genderSigmoid").GetSingle(), results[i].AgeGender!.MaleProbability, 0.01f);
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"descriptor cosine vs reference: min {cosines.Min():F6}, mean {cosines.Average():F6} over {cosines.Count} faces"));
        Assert.All(cosines, c => Assert.True(c > 0.999, $"cosine {c}"));
    }

    [Fact]
    public async Task Samples_collage_gives_at_least_Humans_faces()
    {
        // Human finds 4 of the ~14 faces of samples.jpg (the whole photo squashed to 256²); we must find at least
        // those (checked above) and report how many we find in total.
        var analysis = await pipeline.Analyzer.AnalyzeAsync(File.ReadAllBytes(Path.Combine(Paths.Harness, "sample-images", "samples.jpg")), new AnalysisRequest { Embed = false, Attributes = Vision.Attributes.AttributeKinds.None });
        output.WriteLine($"samples.jpg: {analysis.Faces.Count} faces");
        Assert.True(analysis.Faces.Count >= 4, $"{analysis.Faces.Count} faces");
    }

    private static bool SameFace(FaceDetection ours, RectangleF human)
    {
        var centre = new PointF(ours.Box.X + (ours.Box.Width / 2), ours.Box.Y + (ours.Box.Height / 2));
        var humanCentre = new PointF(human.X + (human.Width / 2), human.Y + (human.Height / 2));
        return human.Contains(centre) && ours.Box.Contains(humanCentre);
    }

    /// <summary>Human's face.box convention: the crop-box side, centred on the mesh extents, clamped to the image.</summary>
    private static RectangleF HumanConventionBox(FaceDetection face, int width, int height)
    {
        var side = face.CropBox.Width;
        var cx = face.Box.X + (face.Box.Width / 2);
        var cy = face.Box.Y + (face.Box.Height / 2);
        return BoxMath.Clip(new RectangleF(cx - (side / 2f), cy - (side / 2f), side, side), width, height);
    }
}
