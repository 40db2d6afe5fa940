using System.Drawing;
using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Geometry;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Recognition;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Tests;

public sealed class GeometryAndReadoutTests
{
    [Fact]
    public void A_similarity_is_recovered_from_its_points()
    {
        var truth = new SimilarityTransform(1.5f * MathF.Cos(0.3f), 1.5f * MathF.Sin(0.3f), 40, -7);
        PointF[] source = [new(10, 10), new(50, 12), new(30, 40), new(31, 60)];
        var target = source.Select(truth.Apply).ToArray();
        var estimate = SimilarityTransform.Estimate(source, target);
        Assert.Equal(truth.A, estimate.A, 4);
        Assert.Equal(truth.B, estimate.B, 4);
        Assert.Equal(truth.Tx, estimate.Tx, 3);
        Assert.Equal(truth.Ty, estimate.Ty, 3);
        var back = estimate.Invert().Apply(target[2]);
        Assert.Equal(source[2].X, back.X, 3);
        Assert.Equal(1f, estimate.Compose(estimate.Invert()).A, 5);
    }

    [Fact]
    public void Aligning_puts_the_landmarks_on_the_template()
    {
        var template = AlignmentTemplate.ArcFace;
        var points = template.AlignmentPoints(112);
        // A face rotated by 20° and twice the size in the photo.
        var photo = new SimilarityTransform(2 * MathF.Cos(0.35f), 2 * MathF.Sin(0.35f), 300, 200);
        var mouthHalf = new PointF(14.6f, 0);
        var landmarks = new FaceLandmarks(
            photo.Apply(points[0]), photo.Apply(points[1]), photo.Apply(points[2]),
            photo.Apply(new PointF(points[3].X - mouthHalf.X, points[3].Y)), photo.Apply(new PointF(points[3].X + mouthHalf.X, points[3].Y)));
        var cropToImage = template.CropToImage(landmarks, 112);
        Assert.Equal(photo.A, cropToImage.A, 3);
        Assert.Equal(photo.B, cropToImage.B, 3);
        var upright = template.CropToImage(landmarks, 112, CropMode.Upright);
        Assert.Equal(0, upright.B);
        Assert.Equal(2, upright.A, 3);
    }

    [Fact]
    public void Reframing_between_templates_maps_template_points_onto_each_other()
    {
        var human = AlignmentTemplate.HumanBox.AlignmentPoints(224);
        var arc = AlignmentTemplate.ArcFace.AlignmentPoints(112);
        var map = AlignmentTemplate.ArcFace.ToCrop(AlignmentTemplate.HumanBox, 224, 112);
        for (var i = 0; i < 4; i++)
        {
            var p = map.Apply(arc[i]);
            Assert.Equal(human[i].X, p.X, 2);
            Assert.Equal(human[i].Y, p.Y, 2);
        }
    }

    [Fact]
    public void Human_age_formula_matches_the_reference()
    {
        foreach (var image in Reference.Images)
        {
            foreach (var face in image.GetProperty("faces").EnumerateArray())
            {
                var bins = face.GetProperty("preprocessing").GetProperty("faceres").GetProperty("ageSoftmax").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                // The reference rounds the bins to 6 decimals; the formula's 1-decimal result survives that.
                Assert.Equal(face.GetProperty("age").GetSingle(), AgeGender.HumanAge(bins), 1);
                Assert.InRange(AgeGender.ExpectedAge(bins), 5, 80);
            }
        }
    }

    [Fact]
    public void Gender_reads_the_male_probability()
    {
        var female = AgeGender.From(new float[100], 0.119498f, AgeReadout.Expected);
        Assert.Equal("female", female.GenderLabel);
        Assert.Equal(0.880502f, female.GenderProbability, 5);
        Assert.Equal("male", AgeGender.From(new float[100], 0.8f, AgeReadout.Expected).GenderLabel);
    }

    [Fact]
    public void Human_crops_reproduce_the_reference_crop_statistics()
    {
        // PREPROCESSING.md §2: cropAndResize of the rounded crop box to 192², 0..1. The reference gives min, max and
        // per-channel means to 6 decimals for every face.
        var format = new PixelFormat(1 / 255f, 0, false);
        var buffer = new float[192 * 192 * 3];
        foreach (var record in Reference.Images)
        {
            using var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(Reference.SampleImages, record.GetProperty("file").GetString()!)));
            foreach (var face in record.GetProperty("faces").EnumerateArray())
            {
                var crop = face.GetProperty("preprocessing").GetProperty("crop");
                var box = crop.GetProperty("boxPx").EnumerateArray().Select(v => v.GetInt32()).ToArray();
                FaceDetector.HumanCrop(image, Rectangle.FromLTRB(box[0], box[1], box[2], box[3]), 192, format, buffer);
                var stats = crop.GetProperty("stats");
                Assert.Equal(stats.GetProperty("max").GetDouble(), buffer.Max(), 1e-5);
                var means = stats.GetProperty("meanPerChannel").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                for (var c = 0; c < 3; c++)
                {
                    var mean = Enumerable.Range(0, 192 * 192).Average(i => (double)buffer[(i * 3) + c]);
                    Assert.Equal(means[c], mean, 1e-5);
                }
            }
        }
    }

    [Fact]
    public void Warping_with_the_identity_copies_pixels()
    {
        using var image = RgbImage.Rent(4, 3);
        for (var i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = (byte)(i * 7);
        }

        using var copy = ImageSampler.WarpToImage(image, SimilarityTransform.Identity, 4, 3);
        Assert.Equal(image.ToArray(), copy.ToArray());
    }

    [Fact]
    public void Laplacian_variance_separates_sharp_from_flat()
    {
        using var flat = RgbImage.Rent(16, 16);
        flat.Pixels.Fill(128);
        using var checker = RgbImage.Rent(16, 16);
        for (var i = 0; i < 256; i++)
        {
            var v = (byte)(((i % 16) + (i / 16)) % 2 == 0 ? 0 : 255);
            checker.Pixels[i * 3] = checker.Pixels[(i * 3) + 1] = checker.Pixels[(i * 3) + 2] = v;
        }

        Assert.Equal(0, FaceQuality.LaplacianVariance(flat));
        Assert.True(FaceQuality.LaplacianVariance(checker) > 1000);
    }
}
