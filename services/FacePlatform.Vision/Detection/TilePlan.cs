using System.Drawing;

namespace FacePlatform.Vision.Detection;

/// <summary>
/// Where the detector looks: the whole image letterboxed into its square input, then levels of overlapping square
/// tiles down to the side at which the smallest face asked for is <c>minDetectable</c> input pixels. A level of side
/// <c>S</c> sees faces from <c>minDetectable·S/inputSize</c>; faces too small for the next coarser level (side
/// <c>C</c>: below <c>minDetectable·C/inputSize</c>) must fit whole in some tile, so neighbouring tiles overlap by that
/// twice that much (faces near a detector's smallest size are found unreliably). Consecutive levels differ by at most <c>levelStep</c> (4); the finest level holds
/// almost all the tiles.
/// </summary>
public static class TilePlan
{
    /// <summary>The square regions (image pixels; they may extend past the image, which is read as black).</summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="inputSize">Detector input side.</param>
    /// <param name="minFaceSize">Smallest face side (image pixels) that must be found.</param>
    /// <param name="minDetectable">Smallest face side (input pixels) the detector finds reliably.</param>
    /// <param name="maxTiles">Upper bound on tiles; the finest levels are dropped beyond it.</param>
    /// <param name="levelStep">Largest ratio between the tile sides of consecutive levels.</param>
    public static List<RectangleF> Plan(
        int width, int height, int inputSize, float minFaceSize, float minDetectable, int maxTiles = 256, float levelStep = 4)
    {
        var whole = (float)Math.Max(width, height);
        var tiles = new List<RectangleF> { new(0, 0, whole, whole) };
        // The tile side at which a face of minFaceSize is minDetectable input pixels; below inputSize/2 a tile would
        // only upsample.
        var finest = Math.Max(inputSize / 2f, minFaceSize * inputSize / minDetectable);
        if (finest >= whole * 0.95f)
        {
            return tiles;
        }

        var levels = (int)MathF.Ceiling(MathF.Log(whole / finest) / MathF.Log(levelStep));
        var ratio = MathF.Pow(whole / finest, 1f / levels);
        var side = whole;
        for (var level = 0; level < levels; level++)
        {
            var coarser = side;
            side = level == levels - 1 ? finest : side / ratio;
            var overlap = Math.Clamp(2 * minDetectable * coarser / inputSize / side, 0.15f, 0.5f);
            var next = LevelTiles(width, height, side, overlap);
            if (tiles.Count + next.Count > maxTiles)
            {
                break;
            }

            tiles.AddRange(next);
        }

        return tiles;
    }

    private static List<RectangleF> LevelTiles(int width, int height, float side, float overlap)
    {
        var stride = side * (1 - overlap);
        var xs = Starts(width, side, stride);
        var ys = Starts(height, side, stride);
        var tiles = new List<RectangleF>(xs.Count * ys.Count);
        foreach (var y in ys)
        {
            foreach (var x in xs)
            {
                tiles.Add(new RectangleF(x, y, side, side));
            }
        }

        return tiles;
    }

    private static List<float> Starts(int length, float side, float stride)
    {
        if (side >= length)
        {
            // Centre the tile on a short dimension; the outside is black.
            return [(length - side) / 2];
        }

        var count = (int)MathF.Ceiling((length - side) / stride) + 1;
        var step = (length - side) / (count - 1);
        var starts = new List<float>(count);
        for (var i = 0; i < count; i++)
        {
            starts.Add(i * step);
        }

        return starts;
    }
}
