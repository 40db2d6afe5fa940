using System.Drawing;
using System.Text.Json;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Geometry;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.InferenceTests;

/// <summary>
/// The face-api.js family as pipeline stages (issue 17) on the imported models and labelled photos: its detectors
/// find the labelled faces of a group photo, and its recogniser, run by the one pipeline class, tells people apart.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FaceApiStageTests(PipelineFixture pipeline)
{
    // dlib's hand-labelled VOC photos: every labelled face of these is found by the detector at IoU ≥ 0.5
    // (docs/accuracy.md has the recall over all of them).
    [Theory]
    [InlineData("faceapi-ssd", "voc_faces/2008_002079.jpg")]
    [InlineData("faceapi-tiny-detector", "voc_faces/2008_001322.jpg")]
    public async Task A_face_api_detector_finds_the_labelled_faces_of_a_group_photo_with_their_landmarks(string detectorModel, string file)
    {
        var labelled = LabelledBoxes("dlib", file);
        using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(Path.Combine(Paths.Faces, "dlib", file)));
        var detector = PipelineFactory.CreateDetector(pipeline.Catalog, new DetectionOptions { Detector = detectorModel });

        var faces = await detector.DetectAsync(image, minFaceSize: 20);

        Assert.IsType<FaceApiDetector>(detector);
        Assert.Equal([detectorModel, "faceapi-landmarks68"], detector.ModelIds);
        Assert.Equal(labelled.Count, faces.Count);
        foreach (var truth in labelled)
        {
            var best = faces.MaxBy(f => BoxMath.IntersectionOverUnion(f.Box, truth))!;
            Assert.True(BoxMath.IntersectionOverUnion(best.Box, truth) >= 0.5f, $"labelled {truth}: best {best.Box}");
            // The 68-point net's eyes lie inside the face, the subject's right eye on the image's left.
            var box = RectangleF.Inflate(best.Box, best.Box.Width * 0.1f, best.Box.Height * 0.1f);
            Assert.True(box.Contains(best.Landmarks.RightEye) && box.Contains(best.Landmarks.LeftEye), $"eyes {best.Landmarks.RightEye} {best.Landmarks.LeftEye} in {best.Box}");
            Assert.True(best.Landmarks.RightEye.X < best.Landmarks.LeftEye.X, $"eyes {best.Landmarks.RightEye} {best.Landmarks.LeftEye}");
            Assert.True(best.Landmarks.Nose.Y > best.Landmarks.RightEye.Y && best.Landmarks.MouthCentre.Y > best.Landmarks.Nose.Y, $"landmarks {best.Landmarks}");
        }
    }

    [Fact]
    public async Task The_face_api_recogniser_finds_each_persons_other_photos_nearest()
    {
        var recogniser = PipelineFactory.CreateRecogniser(pipeline.Catalog, new RecognitionOptions(), "faceapi-recognition");
        var folder = Path.Combine(Paths.Faces, "face-api-js", "identity");
        var photos = Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var embeddings = new List<(string Person, string File, float[] Vector)>();
        foreach (var photo in photos)
        {
            var analysis = await pipeline.Analyzer.AnalyzeAsync(await File.ReadAllBytesAsync(photo), new AnalysisRequest { Recogniser = recogniser, Attributes = AttributeKinds.None });
            var face = Assert.Single(analysis.Faces);
            Assert.Equal("faceapi-recognition", face.Embedding!.ModelId);
            Assert.Equal(128, face.Embedding.Vector.Length);
            embeddings.Add((Path.GetFileName(Path.GetDirectoryName(photo))!, Path.GetFileName(photo), face.Embedding.Vector));
        }

        Assert.IsType<FaceApiRecogniser>(recogniser);
        Assert.Equal(["faceapi-recognition", "faceapi-landmarks68"], recogniser.ModelIds);
        Assert.True(embeddings.Count >= 30, $"{embeddings.Count} photos");
        List<float> genuine = [], impostor = [];
        var misses = new List<string>();
        for (var i = 0; i < embeddings.Count; i++)
        {
            var nearest = Enumerable.Range(0, embeddings.Count).Where(j => j != i).MaxBy(j => Cosine(embeddings[i].Vector, embeddings[j].Vector));
            if (embeddings[nearest].Person != embeddings[i].Person)
            {
                misses.Add($"{embeddings[i].Person}/{embeddings[i].File} → {embeddings[nearest].Person}/{embeddings[nearest].File}");
            }

            for (var j = i + 1; j < embeddings.Count; j++)
            {
                (embeddings[i].Person == embeddings[j].Person ? genuine : impostor).Add(Cosine(embeddings[i].Vector, embeddings[j].Vector));
            }
        }

        Assert.Empty(misses);
        Assert.True(genuine.Average() > impostor.Average(), $"genuine mean {genuine.Average()}, impostor mean {impostor.Average()}");
    }

    private static float Cosine(float[] a, float[] b)
    {
        float dot = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
        }

        return dot;
    }

    private static List<RectangleF> LabelledBoxes(string set, string file)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Paths.Faces, set, "manifest.json")));
        var entry = manifest.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("file").GetString() == file);
        return [.. entry.GetProperty("boxes").EnumerateArray().Select(b => new RectangleF(b[0].GetSingle(), b[1].GetSingle(), b[2].GetSingle(), b[3].GetSingle()))];
    }
}
