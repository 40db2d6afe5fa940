using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;

namespace FacePlatform.InferenceTests;

/// <summary>Faces that fill the photo (200×200 UTKFace chips): found through the padded whole-photo view.</summary>
[Collection(PipelineCollection.Name)]
public sealed class TightCropTests(PipelineFixture pipeline)
{
    // Two chips of utkface-dev that the detector misses without the padded view (docs/accuracy.md).
    [Theory]
    [InlineData("80_0_0_20170111224036667.jpg.chip.jpg")]
    [InlineData("95_1_0_20170110175711811.jpg.chip.jpg")]
    public async Task A_face_that_fills_the_photo_is_found_by_default_and_missed_without_padding(string chip)
    {
        using var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(Path.Combine(Paths.Faces, "utkface-dev", "images", chip)));
        var unpadded = PipelineFactory.CreateDetector(pipeline.Catalog, new DetectionOptions { PaddedView = 0 });

        var faces = await pipeline.Analyzer.Detector.DetectAsync(image);
        var without = await unpadded.DetectAsync(image);

        var face = Assert.Single(faces);
        Assert.True(MathF.Max(face.Box.Width, face.Box.Height) >= 0.4f * image.Width, $"face box {face.Box} in a {image.Width}×{image.Height} chip");
        Assert.Empty(without);
    }
}
