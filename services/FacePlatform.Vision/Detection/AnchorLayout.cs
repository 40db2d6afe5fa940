namespace FacePlatform.Vision.Detection;

/// <summary>
/// The SSD anchors of the MediaPipe face detectors. They are computed, not loaded (PREPROCESSING.md §1): for each
/// stride a grid of <c>inputSize / stride</c> cells, rows outer, columns, then anchors of a cell; the anchor is the cell
/// centre in input pixels, with no size (the network regresses sizes in pixels).
/// </summary>
public sealed class AnchorLayout
{
    private AnchorLayout(int inputSize, IReadOnlyList<(int Stride, int PerCell)> levels)
    {
        InputSize = inputSize;
        Levels = levels;
        var anchors = new List<float>();
        foreach (var (stride, perCell) in levels)
        {
            var cells = inputSize / stride;
            for (var y = 0; y < cells; y++)
            {
                for (var x = 0; x < cells; x++)
                {
                    for (var k = 0; k < perCell; k++)
                    {
                        anchors.Add(stride * (x + 0.5f));
                        anchors.Add(stride * (y + 0.5f));
                    }
                }
            }
        }

        Centres = [.. anchors];
    }

    /// <summary>Square input side in pixels.</summary>
    public int InputSize { get; }

    /// <summary>(stride, anchors per cell) in output order.</summary>
    public IReadOnlyList<(int Stride, int PerCell)> Levels { get; }

    /// <summary>Interleaved anchor centres x0, y0, x1, y1, … in input pixels.</summary>
    public IReadOnlyList<float> Centres { get; }

    /// <summary>Number of anchors.</summary>
    public int Count => Centres.Count / 2;

    /// <summary>
    /// The layout of a detector with a square input of <paramref name="inputSize"/> and <paramref name="rows"/>
    /// anchors: BlazeFace back (256, 896: strides 16×2 and 32×6), front and short-range (128, 896: strides 8×2 and
    /// 16×6), full-range (192, 2304: stride 4×1).
    /// </summary>
    public static AnchorLayout For(int inputSize, int rows) => (inputSize, rows) switch
    {
        (256, 896) => new AnchorLayout(256, [(16, 2), (32, 6)]),
        (128, 896) => new AnchorLayout(128, [(8, 2), (16, 6)]),
        (192, 2304) => new AnchorLayout(192, [(4, 1)]),
        _ => throw new NotSupportedException($"No anchor layout for a {inputSize}x{inputSize} detector with {rows} anchors."),
    };
}
