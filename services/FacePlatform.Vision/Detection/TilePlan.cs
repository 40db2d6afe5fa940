using System.Drawing;

namespace FacePlatform.Vision.Detection;

/// <summary>
/// Where the detector looks: the whole image letterboxed into its square input, then squares of half, a quarter … of
/// the longer side, overlapping, until the smallest face asked for is at least <c>minDetectable</c> input pixels in
/// some level. A face is whole in a tile of a level when it is at most the overlap, and the previous (coarser) level
/// sees faces down to <c>minDetectable·2s/S</c>, so consecutive levels cover each other's sizes.
/// </summary>
public static class TilePlan
{
    /// <summary>The square regions (image pixels; they may extend past the image, which is read as black).</summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="inputSize">Detector input side.</param>
    /// <param name="minFaceSize">Smallest face side (image pixels) that must be found.</param>
    /// <param name="minDetectable">Smallest face side (input pixels) the detector finds reliably.</param>
    /// <param name="overlap">Overlap of neighbouring tiles as a fraction of the tile side.</param>
    /// <param name="maxTiles">Upper bound on tiles; finer levels are dropped beyond it.</param>
    public static List<RectangleF> Plan(int width, int height, int inputSize, float minFaceSize, float minDetectable, float overlap = 0.35f, int maxTiles = 256)
    {
        var side = (float)Math.Max(width, height);
        var tiles = new List<RectangleF> { new(0, 0, side, side) };
        // The tile side at which a face of minFaceSize is minDetectable input pixels.
        var finest = Math.Max(inputSize / 2f, minFaceSize * inputSize / minDetectable);
        while (side > finest * 1.05f)
        {
            side /= 2;
            var level = LevelTiles(width, height, side, overlap);
            if (tiles.Count + level.Count > maxTiles)
            {
                break;
            }

            tiles.AddRange(level);
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
