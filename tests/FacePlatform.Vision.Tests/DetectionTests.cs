using System.Drawing;
using FacePlatform.Vision.Detection;

namespace FacePlatform.Vision.Tests;

public sealed class DetectionTests
{
    [Fact]
    public void BlazeFace_back_anchors_match_the_reference()
    {
        var anchors = AnchorLayout.For(256, 896);
        Assert.Equal(896, anchors.Count);
        // Every NMS survivor of the reference carries its anchor index and centre.
        foreach (var image in Reference.Images)
        {
            foreach (var face in image.GetProperty("faces").EnumerateArray())
            {
                var detector = face.GetProperty("preprocessing").GetProperty("detector");
                var index = detector.GetProperty("anchorIndex").GetInt32();
                var anchor = detector.GetProperty("anchor");
                Assert.Equal(anchor[0].GetSingle(), anchors.Centres[2 * index]);
                Assert.Equal(anchor[1].GetSingle(), anchors.Centres[(2 * index) + 1]);
            }
        }
    }

    [Fact]
    public void Other_detector_layouts_have_their_anchor_counts()
    {
        Assert.Equal(896, AnchorLayout.For(128, 896).Count);
        Assert.Equal(2304, AnchorLayout.For(192, 2304).Count);
        Assert.Throws<NotSupportedException>(() => AnchorLayout.For(300, 896));
    }

    [Fact]
    public void Rows_decode_relative_to_the_anchor_in_image_pixels()
    {
        var anchors = AnchorLayout.For(256, 896);
        var rows = new float[896 * 17];
        rows.AsSpan().Fill(-20);
        // Anchor 200 is (72, 104): a 40×30 box centred 2 px right and 3 px down, keypoints relative to the anchor.
        var row = rows.AsSpan(200 * 17, 17);
        row.Clear();
        row[0] = 2.069355f;
        row[1] = 2;
        row[2] = 3;
        row[3] = 40;
        row[4] = 30;
        row[5] = -10;
        row[6] = -5;
        var found = new List<FaceCandidate>();
        DetectorDecoder.Decode(rows, anchors, 0.2f, 0, 2, 0, 3, found);
        var face = Assert.Single(found);
        Assert.Equal(0.887889f, face.Score, 5);
        Assert.Equal(RectangleF.FromLTRB((74 - 20) * 2, (107 - 15) * 3, (74 + 20) * 2, (107 + 15) * 3), face.Box);
        Assert.Equal(new PointF(62 * 2, 99 * 3), face.Keypoints[0]);
    }

    [Fact]
    public void Nms_keeps_the_best_and_drops_overlaps_at_the_threshold()
    {
        FaceCandidate Box(float x, float score, int anchor) => new(new RectangleF(x, 0, 10, 10), score, [], anchor);
        var kept = NonMaxSuppression.Apply([Box(0, 0.5f, 3), Box(1, 0.9f, 2), Box(30, 0.7f, 1), Box(31, 0.7f, 0)], 0.1f, 50);
        Assert.Equal([2, 0], kept.Select(k => k.Anchor));
    }

    [Fact]
    public void Nms_drops_a_face_cut_by_a_tile_border_inside_a_whole_one()
    {
        var whole = new FaceCandidate(new RectangleF(0, 0, 100, 100), 0.9f, [], 0);
        var half = new FaceCandidate(new RectangleF(50, 0, 50, 100), 0.8f, [], 1);
        Assert.Equal(2, NonMaxSuppression.Apply([whole, half], 0.6f, 10).Count);
        Assert.Single(NonMaxSuppression.Apply([whole, half], 0.6f, 10, containment: 0.6f));
    }

    [Fact]
    public void The_tile_plan_reaches_the_smallest_face_and_covers_the_image()
    {
        var tiles = TilePlan.Plan(4844, 2022, 256, minFaceSize: 20, minDetectable: 16, maxTiles: 1000);
        Assert.Equal(new RectangleF(0, 0, 4844, 4844), tiles[0]);
        var finest = tiles.Min(t => t.Width);
        Assert.True(20 * 256 / finest >= 16, $"a 20-px face is {20 * 256 / finest:F1} input pixels in the finest tiles");
        var level = tiles.Where(t => t.Width == finest).ToList();
        Assert.Equal(0, level.Min(t => t.Left));
        Assert.Equal(4844, level.Max(t => t.Right), 2);
        Assert.Equal(2022, level.Max(t => t.Bottom), 2);
        Assert.Single(TilePlan.Plan(300, 200, 256, minFaceSize: 40, minDetectable: 16));
    }

    [Theory]
    [InlineData(1920, 1350, 20)]
    [InlineData(3872, 2592, 20)]
    [InlineData(910, 1137, 36)]
    [InlineData(500, 375, 20)]
    public void Every_face_from_the_smallest_up_lies_whole_in_a_tile_where_the_detector_can_see_it(int width, int height, int minFace)
    {
        var tiles = TilePlan.Plan(width, height, 256, minFaceSize: minFace, minDetectable: 16, maxTiles: 1000);
        var random = new Random(width + height);
        for (var i = 0; i < 2000; i++)
        {
            // Sizes spread evenly on a log scale from the smallest face to a face filling the shorter side.
            var size = minFace * MathF.Pow(Math.Min(width, height) / (float)minFace, random.NextSingle());
            var face = new RectangleF(random.NextSingle() * (width - size), random.NextSingle() * (height - size), size, size);
            Assert.Contains(tiles, t => t.Contains(face) && size * 256 / t.Width >= 16);
        }
    }

    [Fact]
    public void Consecutive_levels_differ_by_at_most_the_level_step()
    {
        var sides = TilePlan.Plan(3872, 2592, 256, minFaceSize: 20, minDetectable: 16, maxTiles: 1000).Select(t => t.Width).Distinct().Order().ToList();
        Assert.Equal(320, sides[0], 2);
        for (var i = 1; i < sides.Count; i++)
        {
            Assert.InRange(sides[i] / sides[i - 1], 1.5f, 4.0001f);
        }
    }

    [Fact]
    public void The_smallest_face_is_a_share_of_the_photo_unless_a_size_is_asked()
    {
        var options = new DetectionOptions { MinFaceSize = 20, MinFaceFraction = 1f / 32, MinFaceFloorFraction = 0 };
        Assert.Equal(60, options.MinFaceFor(1920, 1350));
        Assert.Equal(60, options.MinFaceFor(1350, 1920));
        Assert.Equal(20, options.MinFaceFor(500, 375));
        Assert.Equal(24, options.MinFaceFor(3872, 2592, requested: 24));
        Assert.Equal(20, options.MinFaceFor(3872, 2592, requested: 8));
    }

    [Fact]
    public void A_request_for_tiny_faces_in_a_large_photo_is_raised_to_the_floor_and_its_tiles_stay_few()
    {
        var options = new DetectionOptions();
        Assert.Equal(24, options.MinFaceFor(1920, 1080, requested: 24));
        Assert.Equal(72.8f, options.MinFaceFor(7280, 5456, requested: 20), 3);
        Assert.Equal(72.8f, options.MinFaceFor(5456, 7280, requested: 1), 3);
        Assert.Equal(100, options.MinFaceFor(7280, 5456, requested: 100));

        // A 40-MP photo at the floor costs far fewer tiles than the budget it filled at 20 px.
        var floor = TilePlan.Plan(7280, 5456, 256, options.MinFaceFor(7280, 5456, requested: 20), options.MinDetectableInput, options.MaxTiles);
        var unbounded = TilePlan.Plan(7280, 5456, 256, 20, options.MinDetectableInput, options.MaxTiles);
        Assert.InRange(floor.Count, 1, 200);
        Assert.InRange(unbounded.Count, options.MaxTiles - 50, options.MaxTiles);
    }
}
