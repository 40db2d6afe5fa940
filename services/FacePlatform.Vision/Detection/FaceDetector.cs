using System.Drawing;
using FacePlatform.Vision.Geometry;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Detection;

/// <summary>
/// Finds faces: BlazeFace over a multi-scale tile plan (all tiles of a photo in one batch), NMS across tiles, then
/// the face mesh on Human's 192² crop of each candidate, which both rejects false hits (as Human does) and gives
/// accurate eyes, nose and mouth corners for alignment.
/// </summary>
public sealed class FaceDetector : IFaceDetector
{
    private const int MeshSize = 192;
    private const int MeshPoints = 468;

    // Mesh indices (MediaPipe canonical face): the 16 points of each eye ring, the nose tip and the mouth corners.
    private static readonly int[] RightEyeRing = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246];
    private static readonly int[] LeftEyeRing = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466];
    private const int NoseTip = 1;
    private const int MouthRightCorner = 61;
    private const int MouthLeftCorner = 291;

    private readonly ModelRunner _detector;
    private readonly ModelRunner? _mesh;
    private readonly AnchorLayout _anchors;

    /// <summary>Creates the detector over its model runners.</summary>
    public FaceDetector(ModelRunner detector, ModelRunner? mesh, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(detector);
        _detector = detector;
        _mesh = mesh;
        Options = options ?? new DetectionOptions();
        var rows = detector.Model.Entry.Outputs.Count == 4
            ? (int)(detector.Model.Entry.Outputs[0].Shape[1] + detector.Model.Entry.Outputs[2].Shape[1])
            : (int)detector.Model.Entry.Outputs[0].Shape[1];
        _anchors = AnchorLayout.For(detector.Model.InputWidth, rows);
    }

    /// <summary>The settings.</summary>
    public DetectionOptions Options { get; }

    /// <summary>Ids of the models in use.</summary>
    public IEnumerable<string> ModelIds => _mesh is null ? [_detector.Model.Name] : [_detector.Model.Name, _mesh.Model.Name];

    /// <summary>
    /// Finds the faces of <paramref name="image"/>, largest first. <paramref name="minFaceSize"/> and
    /// <paramref name="maxFaces"/> of 0 take the defaults (<see cref="DetectionOptions.MinFaceFor"/>).
    /// </summary>
    public async Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, int maxFaces = 0, int minFaceSize = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var minFace = Options.MinFaceFor(image.Width, image.Height, minFaceSize);
        var tiles = TilePlan.Plan(image.Width, image.Height, _anchors.InputSize, minFace, Options.MinDetectableInput, maxTiles: Options.MaxTiles);
        var candidates = await FindCandidatesAsync(image, tiles, cancellationToken);
        var kept = NonMaxSuppression.Apply(candidates, Options.NmsIou, Options.MaxCandidates, Options.NmsContainment);
        var faces = await VerifyAsync(image, kept, cancellationToken);
        if (faces.Count == 0 && Options.PaddedView > 1)
        {
            // Nothing found: perhaps a face that fills the photo, which BlazeFace misses. Look once more at the photo
            // shrunk inside a black border (EdgeMode.Zero outside it). Only then, so photos with faces pay nothing, and
            // only for large faces: smaller candidates of that view were already seen at twice the resolution (kept
            // in every photo, they added 5 false faces on the group photos of docs/accuracy.md).
            var side = Math.Max(image.Width, image.Height) * Options.PaddedView;
            var smallest = Options.PaddedViewMinFace * Math.Min(image.Width, image.Height);
            var large = (await FindCandidatesAsync(image, [new RectangleF((image.Width - side) / 2, (image.Height - side) / 2, side, side)], cancellationToken))
                .Where(c => MathF.Max(c.Box.Width, c.Box.Height) >= smallest)
                .ToList();
            faces = await VerifyAsync(image, NonMaxSuppression.Apply(large, Options.NmsIou, Options.MaxCandidates, Options.NmsContainment), cancellationToken);
        }

        var limit = maxFaces > 0 ? maxFaces : Options.MaxFaces;
        return [.. faces
            .Where(f => MathF.Max(f.Box.Width, f.Box.Height) >= (minFaceSize > 0 ? minFaceSize : 0))
            .OrderByDescending(f => f.Box.Width * f.Box.Height)
            .Take(limit)];
    }

    /// <summary>
    /// Runs the detector on the given regions (image pixels; each is resampled to the square input, outside the image
    /// is black) and decodes every candidate above the score threshold, before NMS. A single region of the whole image
    /// (<c>new RectangleF(0, 0, W, H)</c>) is what Human 3.3.6 does.
    /// </summary>
    public async Task<List<FaceCandidate>> FindCandidatesAsync(RgbImage image, IReadOnlyList<RectangleF> regions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(regions);
        var model = _detector.Model;
        var size = model.InputWidth;
        var outputs = await _detector.RunAsync(regions.Count, (t, sample) =>
        {
            var region = regions[t];
            ImageSampler.ResampleAxisAligned(
                image, region.X, region.Width / size, region.Y, region.Height / size, size, size, EdgeMode.Zero, model.Format, sample);
        }, cancellationToken);

        var candidates = new List<FaceCandidate>();
        var rows = new float[_anchors.Count * DetectorDecoder.RowSize];
        for (var t = 0; t < regions.Count; t++)
        {
            var region = regions[t];
            if (outputs.Has("logits_512"))
            {
                DetectorDecoder.Interleave(
                    outputs.Row("logits_512", t), outputs.Row("regressors_512", t), outputs.Row("logits_384", t), outputs.Row("regressors_384", t), rows);
            }
            else
            {
                outputs.Row(model.Entry.Outputs[0].Name, t).CopyTo(rows);
            }

            var before = candidates.Count;
            DetectorDecoder.Decode(rows, _anchors, Options.ScoreThreshold, region.X, region.Width / size, region.Y, region.Height / size, candidates);
            for (var i = before; i < candidates.Count; i++)
            {
                // Anchors of later tiles rank after earlier ones on exact score ties.
                candidates[i] = candidates[i] with { Anchor = (t * _anchors.Count) + candidates[i].Anchor };
            }
        }

        return candidates;
    }

    /// <summary>
    /// Human's crop box of a candidate: the detector box enlarged ×<see cref="DetectionOptions.CropScale"/> about its
    /// centre, squared to the longer side, corners rounded half up (<c>floor(x + 0.5)</c>, JavaScript's Math.round).
    /// </summary>
    public Rectangle CropBoxOf(RectangleF detectorBox) => CropBoxOf(detectorBox, Options.CropScale);

    /// <summary>Human's crop box of <paramref name="detectorBox"/> at <paramref name="scale"/> (every detector's <see cref="FaceDetection.CropBox"/>).</summary>
    public static Rectangle CropBoxOf(RectangleF detectorBox, float scale)
    {
        var cx = detectorBox.X + (detectorBox.Width / 2);
        var cy = detectorBox.Y + (detectorBox.Height / 2);
        var side = MathF.Max(detectorBox.Width, detectorBox.Height) * scale;
        var x1 = (int)Math.Floor(cx - (side / 2) + 0.5);
        var y1 = (int)Math.Floor(cy - (side / 2) + 0.5);
        var x2 = (int)Math.Floor(cx + (side / 2) + 0.5);
        var y2 = (int)Math.Floor(cy + (side / 2) + 0.5);
        return Rectangle.FromLTRB(x1, y1, x2, y2);
    }

    /// <summary>
    /// Writes Human's crop of <paramref name="crop"/> (TensorFlow cropAndResize with the <c>(H − 1)</c> mapping and
    /// zero extrapolation, float32 in TensorFlow's order) at <paramref name="size"/>², in <paramref name="format"/>.
    /// </summary>
    public static void HumanCrop(RgbImage image, Rectangle crop, int size, PixelFormat format, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        float w = image.Width;
        float h = image.Height;
        var y1n = (float)((double)crop.Top / image.Height);
        var x1n = (float)((double)crop.Left / image.Width);
        var y2n = (float)((double)crop.Bottom / image.Height);
        var x2n = (float)((double)crop.Right / image.Width);
        var sy = (y2n - y1n) * (h - 1) / (size - 1);
        var sx = (x2n - x1n) * (w - 1) / (size - 1);
        ImageSampler.ResampleAxisAligned(image, x1n * (w - 1), sx, y1n * (h - 1), sy, size, size, EdgeMode.Zero, format, destination);
    }

    private async Task<List<FaceDetection>> VerifyAsync(RgbImage image, List<FaceCandidate> candidates, CancellationToken cancellationToken)
    {
        var crops = candidates.Select(c => CropBoxOf(c.Box)).ToArray();
        if (_mesh is null)
        {
            return [.. candidates.Select((c, i) => new FaceDetection(c.Box, c.Score, 1f, FromKeypoints(c.Keypoints), c.Box, crops[i]))];
        }

        var model = _mesh.Model;
        var outputs = await _mesh.RunAsync(candidates.Count, (i, sample) => HumanCrop(image, crops[i], MeshSize, model.Format, sample), cancellationToken);

        var faces = new List<FaceDetection>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var flag = outputs.Row("face_flag", i)[0];
            if (flag <= Options.MeshThreshold)
            {
                continue;
            }

            var mesh = outputs.Row("mesh", i).ToArray();
            var crop = crops[i];
            var scale = crop.Width / (float)MeshSize;
            var cx = crop.X + (crop.Width / 2f);
            var cy = crop.Y + (crop.Height / 2f);
            PointF At(int index) => new(cx + ((mesh[index * 3] - (MeshSize / 2f)) * scale), cy + ((mesh[(index * 3) + 1] - (MeshSize / 2f)) * scale));
            PointF Mean(int[] indices)
            {
                float x = 0, y = 0;
                foreach (var index in indices)
                {
                    var p = At(index);
                    x += p.X;
                    y += p.Y;
                }

                return new PointF(x / indices.Length, y / indices.Length);
            }

            float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
            for (var p = 0; p < MeshPoints; p++)
            {
                var point = At(p);
                minX = MathF.Min(minX, point.X);
                minY = MathF.Min(minY, point.Y);
                maxX = MathF.Max(maxX, point.X);
                maxY = MathF.Max(maxY, point.Y);
            }

            var landmarks = new FaceLandmarks(Mean(RightEyeRing), Mean(LeftEyeRing), At(NoseTip), At(MouthRightCorner), At(MouthLeftCorner));
            var box = BoxMath.Clip(RectangleF.FromLTRB(minX, minY, maxX, maxY), image.Width, image.Height);
            faces.Add(new FaceDetection(box, candidates[i].Score, flag, landmarks, candidates[i].Box, crop));
        }

        // Two candidates can converge on one face once the mesh re-centres them, and a weak candidate on part of a
        // face (forehead and eyes of a large face, seen by a small tile) survives the mesh as a box mostly inside the
        // face's box: measured on face_recognition's obama1.jpg (score 0.56, 68% inside a 0.96 face). Suppress both.
        var merged = NonMaxSuppression.Apply(
            [.. faces.Select((f, i) => new FaceCandidate(f.Box, f.Score, [], i))], 0.5f, faces.Count, Options.NmsContainment);
        return [.. merged.Select(m => faces[m.Anchor])];
    }

    private static FaceLandmarks FromKeypoints(PointF[] k)
    {
        // BlazeFace has the mouth centre, not its corners: place them half an eye distance apart along the eye line.
        var dx = (k[1].X - k[0].X) * 0.4f;
        var dy = (k[1].Y - k[0].Y) * 0.4f;
        return new FaceLandmarks(k[0], k[1], k[2], new PointF(k[3].X - dx, k[3].Y - dy), new PointF(k[3].X + dx, k[3].Y + dy));
    }
}
