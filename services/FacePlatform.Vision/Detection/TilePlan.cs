using System.Drawing;

namespace FacePlatform.Vision.Detection;

/// <summary>
/// Where the detector looks: the whole image letterboxed into its square input, then levels of overlapping square
/// tiles down to the side at which the smallest face asked for is <c>minDetectable</c> input pixels. A level of side
/// <c>S</c> sees faces from <c>minDetectable·S/inputSize</c>; faces too small for the next coarser level (side
/// <c>C</c>: below <c>minDetectable·C/inputSize</c>) must fit whole in some tile, so neighbouring tiles overlap by that
/// 1.5 times that much (near its smallest size the detector finds about half the faces). Consecutive levels differ by at most <c>levelStep</c> (4); the finest level holds
/// almost all the tiles.
/// </summary>
public static class TilePlan
{
    // Faces up to this multiple of the coarser level's smallest detectable size must fit whole in a tile: at its
    // smallest size the detector finds about half the faces (docs/accuracy.md, small faces).
    private const float OverlapMargin = 1.5f;

    /// <summary>The square regions (image pixels; they may extend past the image, which is read as black).</summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="inputSize">Detector input side.</param>
    /// <param name="minFaceSize">Smallest face side (image pixels) that must be found.</param>
    /// <param name="minDetectable">Smallest face side (input pixels) the detector finds reliably.</param>
    /// <param name="maxTiles">Upper bound on tiles; beyond it the smallest face found grows until the plan fits.</param>
    /// <param name="levelStep">Largest ratio between the tile sides of consecutive levels.</param>
    public static List<RectangleF> Plan(
        int width, int height, int inputSize, float minFaceSize, float minDetectable, int maxTiles = 512, float levelStep = 4)
    {
        // The tile side at which a face of minFaceSize is minDetectable input pixels; below inputSize/2 a tile would
        // only upsample. Past the tile budget the finest side grows (larger smallest face) until the plan fits.
        var finest = Math.Max(inputSize / 2f, minFaceSize * inputSize / minDetectable);
        while (true)
        {
            var tiles = Levels(width, height, inputSize, finest, minDetectable, levelStep);
            if (tiles.Count <= Math.Max(1, maxTiles))
            {
                return tiles;
            }

            finest *= 1.1f;
        }
    }

    private static List<RectangleF> Levels(int width, int height, int inputSize, float finest, float minDetectable, float levelStep)
    {
        var whole = (float)Math.Max(width, height);
        var tiles = new List<RectangleF> { new(0, 0, whole, whole) };
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
            var overlap = Math.Clamp(OverlapMargin * minDetectable * coarser / inputSize / side, 0.15f, 0.5f);
            tiles.AddRange(LevelTiles(width, height, side, overlap));
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
