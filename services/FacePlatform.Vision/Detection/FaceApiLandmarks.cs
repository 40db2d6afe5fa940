using System.Drawing;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Detection;

/// <summary>
/// face-api.js's 68-point landmark nets (<c>faceapi-landmarks68</c>, <c>faceapi-landmarks68-tiny</c>; iBUG 300-W
/// layout) run the way face-api runs them: the face box cut from the photo, padded to a square with black on both sides
/// of its shorter side, resized to the net's 112² input; the answer mapped back through that padding to photo pixels.
/// Used by the face-api detectors (their five alignment points) and by the face-api recogniser (its crop box).
/// </summary>
public sealed class FaceApiLandmarks
{
    /// <summary>Points per face.</summary>
    public const int Count = 68;

    private readonly ModelRunner _runner;

    /// <summary>Creates the landmark stage over its model runner.</summary>
    public FaceApiLandmarks(ModelRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        _runner = runner;
    }

    /// <summary>The model's id.</summary>
    public string ModelId => _runner.Model.Name;

    /// <summary>
    /// The 68 points of the face in each box of <paramref name="image"/> (image pixels), all boxes in one batch. A box
    /// is taken as given (face-api floors a detector's box first; the caller decides).
    /// </summary>
    public Task<IReadOnlyList<PointF[]>> LocateAsync(RgbImage image, IReadOnlyList<RectangleF> boxes, CancellationToken cancellationToken = default) =>
        LocateAsync(boxes.Select(_ => image).ToList(), boxes, cancellationToken);

    /// <summary>The same for one box per image (<paramref name="images"/>[i] holds <paramref name="boxes"/>[i]).</summary>
    public async Task<IReadOnlyList<PointF[]>> LocateAsync(IReadOnlyList<RgbImage> images, IReadOnlyList<RectangleF> boxes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(boxes);
        if (images.Count != boxes.Count)
        {
            throw new ArgumentException("One image per box.", nameof(images));
        }

        if (boxes.Count == 0)
        {
            return [];
        }

        var model = _runner.Model;
        var size = model.InputWidth;
        var outputs = await _runner.RunAsync(boxes.Count, (i, sample) => Fill(images[i], boxes[i], size, model.Format, sample), cancellationToken);
        var result = new List<PointF[]>(boxes.Count);
        for (var i = 0; i < boxes.Count; i++)
        {
            var row = outputs.Row("landmarks", i);
            var box = boxes[i];
            var side = MathF.Max(box.Width, box.Height);
            // The net answers in units of the padded square: undo the square, then the padding of the shorter side.
            var padX = (side - box.Width) / 2;
            var padY = (side - box.Height) / 2;
            var points = new PointF[Count];
            for (var p = 0; p < Count; p++)
            {
                points[p] = new PointF(box.X + (row[2 * p] * side) - padX, box.Y + (row[(2 * p) + 1] * side) - padY);
            }

            result.Add(points);
        }

        return result;
    }

    /// <summary>
    /// The five alignment points of 68 iBUG points, subject's view: eye centres (mean of each eye's six points; the
    /// subject's right eye is points 36–41, on the image's left), nose tip (30), mouth corners (48 right, 54 left).
    /// </summary>
    public static FaceLandmarks FivePoints(ReadOnlySpan<PointF> points)
    {
        if (points.Length != Count)
        {
            throw new ArgumentException($"Expected {Count} points, not {points.Length}.", nameof(points));
        }

        return new FaceLandmarks(Mean(points[36..42]), Mean(points[42..48]), points[30], points[48], points[54]);
    }

    /// <summary>The mean of <paramref name="points"/>.</summary>
    public static PointF Mean(ReadOnlySpan<PointF> points)
    {
        float x = 0, y = 0;
        foreach (var p in points)
        {
            x += p.X;
            y += p.Y;
        }

        return new PointF(x / points.Length, y / points.Length);
    }

    /// <summary>
    /// Writes the box's face-api input: the square of the box's longer side centred on the box, resized to
    /// <paramref name="size"/>² (TensorFlow's legacy bilinear), black outside the box (face-api pads the cut box).
    /// </summary>
    public static void Fill(RgbImage image, RectangleF box, int size, PixelFormat format, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        var side = MathF.Max(box.Width, box.Height);
        var x0 = box.X - ((side - box.Width) / 2);
        var y0 = box.Y - ((side - box.Height) / 2);
        var step = side / size;
        ImageSampler.ResampleAxisAligned(image, x0, step, y0, step, size, size, EdgeMode.Zero, format, destination);
        var channels = format.Channels;
        for (var i = 0; i < size; i++)
        {
            var y = y0 + (i * step);
            var rowOutside = y < box.Top || y > box.Bottom - 1;
            for (var j = 0; j < size; j++)
            {
                var x = x0 + (j * step);
                if (rowOutside || x < box.Left || x > box.Right - 1)
                {
                    destination.Slice(((i * size) + j) * channels, channels).Fill(format.Offset);
                }
            }
        }
    }
}
