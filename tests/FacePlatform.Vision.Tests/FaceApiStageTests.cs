using System.Drawing;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Recognition;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Tests;

/// <summary>
/// The face-api.js stages' own arithmetic (Detection/FaceApiDetector.cs, FaceApiLandmarks.cs,
/// Recognition/FaceApiRecogniser.cs) on hand-made tensors: how the detectors' outputs become boxes, where the landmark
/// net's input is padded, and the box face-api cuts the descriptor's crop from. The models themselves are exercised by
/// the inference tests.
/// </summary>
public sealed class FaceApiStageTests
{
    [Fact]
    public void A_tiny_detector_cell_decodes_to_its_anchor_box_at_the_cell_centre()
    {
        const int Cells = 13;
        var grid = new float[Cells * Cells * 25];
        for (var i = 4; i < grid.Length; i += 5)
        {
            grid[i] = -10;
        }

        // Row 6, column 3, anchor 2: offsets 0 (sigmoid 0.5, the cell centre), sizes 0 (exp 1: the anchor itself), score logit 2.
        var at = ((((6 * Cells) + 3) * 5) + 2) * 5;
        grid[at + 4] = 2;
        var found = new List<FaceCandidate>();

        FaceApiDetector.DecodeTiny(grid, 0.5f, 416, found);

        var candidate = Assert.Single(found);
        Assert.Equal(1 / (1 + MathF.Exp(-2)), candidate.Score, 5);
        var (w, h) = (2.882459f / Cells * 416, 3.518061f / Cells * 416);
        Assert.Equal((3.5f / Cells * 416) - (w / 2), candidate.Box.X, 2);
        Assert.Equal((6.5f / Cells * 416) - (h / 2), candidate.Box.Y, 2);
        Assert.Equal(w, candidate.Box.Width, 2);
        Assert.Equal(h, candidate.Box.Height, 2);
    }

    [Fact]
    public void Ssd_rows_above_the_threshold_become_clipped_boxes_in_image_pixels()
    {
        // (top, left, bottom, right) relative to the square input; the second runs past the input and is clipped.
        float[] boxes = [0.1f, 0.2f, 0.3f, 0.4f, -0.1f, 0.5f, 0.4f, 1.2f, 0.5f, 0.5f, 0.6f, 0.6f];
        float[] scores = [0.9f, 0.6f, 0.4f];
        var found = new List<FaceCandidate>();

        FaceApiDetector.DecodeSsd(boxes, scores, 0.5f, 1000, found);

        Assert.Equal(2, found.Count);
        Assert.Equal(RectangleF.FromLTRB(200, 100, 400, 300), Round(found[0].Box));
        Assert.Equal(RectangleF.FromLTRB(500, 0, 1000, 400), Round(found[1].Box));
        Assert.Equal([0, 1], found.Select(c => c.Anchor));
    }

    [Fact]
    public void The_landmark_input_is_the_box_padded_black_to_a_square_on_both_sides()
    {
        var pixels = new byte[64 * 64 * 3];
        Array.Fill(pixels, (byte)200);
        using var image = RgbImage.Wrap(pixels, 64, 64);
        var input = new float[112 * 112 * 3];

        // 20 wide, 40 high: the square is 40, so 10 image pixels (28 input pixels) of black left and right.
        FaceApiLandmarks.Fill(image, new RectangleF(20, 10, 20, 40), 112, new PixelFormat(1, 0, false), input);

        float At(int row, int column) => input[((row * 112) + column) * 3];
        Assert.Equal(0, At(56, 10));
        Assert.Equal(0, At(56, 100));
        Assert.Equal(200, At(56, 56), 3);
        Assert.Equal(200, At(0, 56), 3);
        Assert.Equal(200, At(56, 30), 3);
    }

    [Fact]
    public void Five_points_of_68_are_eye_centres_nose_tip_and_mouth_corners_from_the_subjects_view()
    {
        var points = Enumerable.Range(0, 68).Select(i => new PointF(i, 100 + i)).ToArray();

        var five = FaceApiLandmarks.FivePoints(points);

        Assert.Equal(new PointF(38.5f, 138.5f), five.RightEye);
        Assert.Equal(new PointF(44.5f, 144.5f), five.LeftEye);
        Assert.Equal(new PointF(30, 130), five.Nose);
        Assert.Equal(new PointF(48, 148), five.MouthRight);
        Assert.Equal(new PointF(54, 154), five.MouthLeft);
        Assert.Throws<ArgumentException>(() => FaceApiLandmarks.FivePoints(points.AsSpan(0, 5)));
    }

    [Fact]
    public void The_descriptor_box_is_face_apis_dlib_box_of_the_eye_and_mouth_centres()
    {
        var points = new PointF[68];
        Array.Fill(points, new PointF(50, 80));
        points.AsSpan(36, 6).Fill(new PointF(40, 50));
        points.AsSpan(42, 6).Fill(new PointF(60, 50));

        var box = FaceApiRecogniser.AlignedBox(points);

        // Eye-to-mouth distance √(10² + 30²) / 0.45 is the side; the centroid (50, 60) sits at 0.5 across, 0.43 down.
        var side = MathF.Sqrt(1000) / 0.45f;
        Assert.Equal(side, box.Width, 3);
        Assert.Equal(side, box.Height, 3);
        Assert.Equal(50 - (0.5f * side), box.X, 3);
        Assert.Equal(60 - (0.43f * side), box.Y, 3);
    }

    private static RectangleF Round(RectangleF box) =>
        RectangleF.FromLTRB(MathF.Round(box.Left, 2), MathF.Round(box.Top, 2), MathF.Round(box.Right, 2), MathF.Round(box.Bottom, 2));
}
