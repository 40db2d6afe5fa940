using System.Drawing;
using FacePlatform.Vision.Geometry;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Detection;

/// <summary>Which face-api.js detector a <see cref="FaceApiDetector"/> decodes.</summary>
public enum FaceApiDetectorKind
{
    /// <summary>SSD MobileNet V1 (<c>faceapi-ssd</c>): boxes decoded in the graph, scores per anchor.</summary>
    Ssd,

    /// <summary>Tiny Face Detector (<c>faceapi-tiny-detector</c>): a 13×13 YOLO v2 grid of 5 anchors.</summary>
    Tiny,
}

/// <summary>
/// face-api.js's detectors as face-api runs them: the whole photo once, letterboxed into the square input at the top
/// left (black right or below), candidates above <see cref="DetectionOptions.ScoreThreshold"/> (face-api's default
/// minConfidence is the same 0.5), hard NMS at face-api's IoU (SSD 0.5, Tiny 0.4, <see cref="NonMaxSuppression"/>);
/// then the family's 68-point landmark net on each box for the five points alignment needs. No tiles and no padded
/// view: what face-api itself finds is the candidate measured in docs/accuracy.md.
/// </summary>
public sealed class FaceApiDetector : IFaceDetector
{
    /// <summary>face-api's Tiny Face Detector anchors (width, height in grid cells).</summary>
    private static readonly (float W, float H)[] TinyAnchors =
        [(1.603231f, 2.094468f), (6.041143f, 7.080126f), (2.882459f, 3.518061f), (4.266906f, 5.178857f), (9.041765f, 10.66308f)];

    private readonly ModelRunner _detector;
    private readonly FaceApiLandmarks? _landmarks;
    private readonly FaceApiDetectorKind _kind;

    /// <summary>Creates the detector over its model runners.</summary>
    /// <param name="detector">The detector model.</param>
    /// <param name="landmarks">The 68-point landmark model; null: five points estimated from the box alone.</param>
    /// <param name="kind">Which output layout the detector has.</param>
    /// <param name="options">The detection settings (score threshold, smallest face, most faces, crop scale).</param>
    public FaceApiDetector(ModelRunner detector, ModelRunner? landmarks, FaceApiDetectorKind kind, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(detector);
        _detector = detector;
        _landmarks = landmarks is null ? null : new FaceApiLandmarks(landmarks);
        _kind = kind;
        Options = options ?? new DetectionOptions();
    }

    /// <inheritdoc />
    public DetectionOptions Options { get; }

    /// <inheritdoc />
    public IEnumerable<string> ModelIds => _landmarks is null ? [_detector.Model.Name] : [_detector.Model.Name, _landmarks.ModelId];

    /// <summary>face-api's NMS IoU for this detector (SsdMobilenetv1Options 0.5, TinyFaceDetector 0.4).</summary>
    public float NmsIou => _kind == FaceApiDetectorKind.Ssd ? 0.5f : 0.4f;

    /// <inheritdoc />
    public async Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, int maxFaces = 0, int minFaceSize = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var candidates = await FindCandidatesAsync(image, cancellationToken);
        // face-api keeps at most 100 SSD boxes; the same bound for both.
        var kept = NonMaxSuppression.Apply(candidates, NmsIou, Math.Max(Options.MaxCandidates, 1));
        var minFace = Options.MinFaceFor(image.Width, image.Height, minFaceSize);
        var limit = maxFaces > 0 ? maxFaces : Options.MaxFaces;
        var boxes = kept
            .Where(c => MathF.Max(c.Box.Width, c.Box.Height) >= minFace)
            .OrderByDescending(c => c.Box.Width * c.Box.Height)
            .Take(limit)
            .ToList();

        // face-api cuts the landmark net's input from the floored box (FaceLandmarks.align, Box.floor).
        var floored = boxes.Select(c => RectangleF.FromLTRB(MathF.Floor(c.Box.Left), MathF.Floor(c.Box.Top), MathF.Floor(c.Box.Right), MathF.Floor(c.Box.Bottom))).ToList();
        IReadOnlyList<PointF[]>? points = _landmarks is null ? null : await _landmarks.LocateAsync(image, floored, cancellationToken);
        var faces = new List<FaceDetection>(boxes.Count);
        for (var i = 0; i < boxes.Count; i++)
        {
            var box = boxes[i].Box;
            var landmarks = points is null ? FromBox(box) : FaceApiLandmarks.FivePoints(points[i]);
            faces.Add(new FaceDetection(box, boxes[i].Score, 1f, landmarks, box, FaceDetector.CropBoxOf(box, Options.CropScale)));
        }

        return faces;
    }

    /// <summary>Every candidate above the score threshold in image pixels, before NMS.</summary>
    public async Task<List<FaceCandidate>> FindCandidatesAsync(RgbImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var model = _detector.Model;
        var size = model.InputWidth;
        // face-api's toBatchTensor(size, isCenterInputs: false): padded to a square at the bottom or right, then resized.
        var side = (float)Math.Max(image.Width, image.Height);
        var outputs = await _detector.RunAsync(1, (_, sample) =>
            ImageSampler.ResampleAxisAligned(image, 0, side / size, 0, side / size, size, size, EdgeMode.Zero, model.Format, sample), cancellationToken);
        var candidates = new List<FaceCandidate>();
        if (_kind == FaceApiDetectorKind.Ssd)
        {
            DecodeSsd(outputs.Row("boxes", 0), outputs.Row("scores", 0), Options.ScoreThreshold, side, candidates);
        }
        else
        {
            DecodeTiny(outputs.Row("grid", 0), Options.ScoreThreshold, side, candidates);
        }

        return [.. candidates.Select(c => c with { Box = BoxMath.Clip(c.Box, image.Width, image.Height) }).Where(c => c.Box.Width > 0 && c.Box.Height > 0)];
    }

    /// <summary>
    /// SSD rows: (top, left, bottom, right) relative to the square input, clipped to 0..1 as face-api does; scores are
    /// probabilities already. <paramref name="side"/> is the square's side in image pixels.
    /// </summary>
    public static void DecodeSsd(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, float threshold, float side, List<FaceCandidate> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        for (var a = 0; a < scores.Length; a++)
        {
            if (scores[a] < threshold)
            {
                continue;
            }

            var top = Math.Clamp(boxes[4 * a], 0, 1) * side;
            var left = Math.Clamp(boxes[(4 * a) + 1], 0, 1) * side;
            var bottom = Math.Clamp(boxes[(4 * a) + 2], 0, 1) * side;
            var right = Math.Clamp(boxes[(4 * a) + 3], 0, 1) * side;
            if (right > left && bottom > top)
            {
                into.Add(new FaceCandidate(RectangleF.FromLTRB(left, top, right, bottom), scores[a], [], a));
            }
        }
    }

    /// <summary>
    /// The Tiny Face Detector's grid (NHWC 13×13×(5 anchors × x, y, w, h, score)), decoded as face-api does: centre
    /// ((column, row) + sigmoid(x, y)) / 13, size exp(w, h) × anchor / 13, score sigmoid, all relative to the square input.
    /// </summary>
    public static void DecodeTiny(ReadOnlySpan<float> grid, float threshold, float side, List<FaceCandidate> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var anchors = TinyAnchors.Length;
        var cells = (int)MathF.Round(MathF.Sqrt(grid.Length / (anchors * 5f)));
        for (var row = 0; row < cells; row++)
        {
            for (var col = 0; col < cells; col++)
            {
                for (var a = 0; a < anchors; a++)
                {
                    var at = ((((row * cells) + col) * anchors) + a) * 5;
                    var score = Sigmoid(grid[at + 4]);
                    if (score < threshold)
                    {
                        continue;
                    }

                    var cx = (col + Sigmoid(grid[at])) / cells;
                    var cy = (row + Sigmoid(grid[at + 1])) / cells;
                    var w = MathF.Exp(grid[at + 2]) * TinyAnchors[a].W / cells;
                    var h = MathF.Exp(grid[at + 3]) * TinyAnchors[a].H / cells;
                    into.Add(new FaceCandidate(new RectangleF((cx - (w / 2)) * side, (cy - (h / 2)) * side, w * side, h * side), score, [], at / 5));
                }
            }
        }
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>
    /// Five points placed in a frontal face's proportions of its box, for a detector run without the landmark net
    /// (nothing aligns on them then; they keep crops and quality estimates defined).
    /// </summary>
    private static FaceLandmarks FromBox(RectangleF b) => new(
        new(b.X + (0.3f * b.Width), b.Y + (0.4f * b.Height)),
        new(b.X + (0.7f * b.Width), b.Y + (0.4f * b.Height)),
        new(b.X + (0.5f * b.Width), b.Y + (0.6f * b.Height)),
        new(b.X + (0.35f * b.Width), b.Y + (0.78f * b.Height)),
        new(b.X + (0.65f * b.Width), b.Y + (0.78f * b.Height)));
}
