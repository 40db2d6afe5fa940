using System.Drawing;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Recognition;

/// <summary>
/// face-api.js's ResNet-34 descriptor (<c>faceapi-recognition</c>, 128-d) with face-api's own alignment, whatever the
/// detector: <see cref="Align"/> cuts the detector-box crop (×1.4, as FaceRes), then <see cref="EmbedAsync"/> runs the
/// 68-point landmark net on the detector box inside it and cuts the descriptor's 150² input from the box face-api
/// derives from those points (<c>FaceLandmarks.align(useDlibAlignment: true)</c>): a square of side
/// (mean eye-to-mouth distance) / 0.45, its reference point (the centroid of both eye centres and the mouth centre)
/// at 0.5 of the width and 0.43 of the height. Face-api cuts that box from the photo; here it is cut from the
/// context crop (black outside the photo, where face-api shifts the box inside it), so the net sees the same framing.
/// </summary>
public sealed class FaceApiRecogniser : IFaceRecogniser
{
    /// <summary>Side of the context crop <see cref="Align"/> cuts: enough pixels for both nets (112² and 150²) to downsample.</summary>
    public const int ContextSize = 256;

    // face-api's FaceLandmarks alignment constants (relX, relY, relScale).
    private const float RelX = 0.5f;
    private const float RelY = 0.43f;
    private const float RelScale = 0.45f;

    private readonly ModelRunner _descriptor;
    private readonly FaceApiLandmarks _landmarks;
    private readonly float _cropScale;

    /// <summary>Creates the recogniser.</summary>
    /// <param name="descriptor">The descriptor net.</param>
    /// <param name="landmarks">The 68-point landmark net that places its crop.</param>
    /// <param name="cropScale">The detector box's enlargement in <see cref="FaceDetection.CropBox"/> (<see cref="DetectionOptions.CropScale"/>).</param>
    public FaceApiRecogniser(ModelRunner descriptor, ModelRunner landmarks, float cropScale)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(landmarks);
        if (cropScale < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(cropScale), cropScale, "The crop box holds the detector box: scale ≥ 1.");
        }

        _descriptor = descriptor;
        _landmarks = new FaceApiLandmarks(landmarks);
        _cropScale = cropScale;
        ModelIds = [descriptor.Model.Name, landmarks.Model.Name];
    }

    /// <inheritdoc />
    public string ModelId => _descriptor.Model.Name;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelIds { get; }

    /// <inheritdoc />
    public int InputSize => ContextSize;

    /// <inheritdoc />
    public AlignmentTemplate Template => AlignmentTemplate.HumanBox;

    /// <inheritdoc />
    public CropMode Mode => CropMode.DetectorBox;

    /// <inheritdoc />
    public bool IsMultiTask => false;

    /// <inheritdoc />
    public IReadOnlyList<string> AgeGenderModelIds => [];

    /// <inheritdoc />
    public ModelCalibration? Calibration => _descriptor.Model.Entry.Calibration;

    /// <inheritdoc />
    public RgbImage Align(RgbImage image, FaceDetection face) => FaceRecogniser.DetectorBoxCrop(image, face, InputSize);

    /// <inheritdoc />
    public async Task<IReadOnlyList<Recognition>> EmbedAsync(IReadOnlyList<RgbImage> crops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        if (crops.Count == 0)
        {
            return [];
        }

        // The detector box is the centre of the crop box, 1/scale of its side.
        var boxes = crops.Select(c =>
        {
            var side = c.Width / _cropScale;
            return new RectangleF((c.Width - side) / 2, (c.Height - side) / 2, side, side);
        }).ToList();
        var points = await _landmarks.LocateAsync(crops, boxes, cancellationToken);
        var aligned = points.Select(AlignedBox).ToList();
        var model = _descriptor.Model;
        var size = model.InputWidth;
        var outputs = await _descriptor.RunAsync(crops.Count, (i, sample) =>
        {
            var box = aligned[i];
            ImageSampler.ResampleAxisAligned(crops[i], box.X, box.Width / size, box.Y, box.Height / size, size, size, EdgeMode.Zero, model.Format, sample);
        }, cancellationToken);
        var results = new List<Recognition>(crops.Count);
        for (var i = 0; i < crops.Count; i++)
        {
            results.Add(new Recognition(new FaceEmbedding(ModelId, FaceEmbedding.Normalise(outputs.Row("descriptor", i))), null));
        }

        return results;
    }

    /// <summary>
    /// face-api's descriptor box of 68 iBUG points (its <c>alignDlib</c>): side = mean distance from the mouth centre
    /// to the two eye centres / 0.45; the centroid of the three centres at (0.5, 0.43) of the box. Not floored: the
    /// points are in crop pixels, not the photo's.
    /// </summary>
    public static RectangleF AlignedBox(PointF[] points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var span = points.AsSpan();
        var rightEye = FaceApiLandmarks.Mean(span[36..42]);
        var leftEye = FaceApiLandmarks.Mean(span[42..48]);
        var mouth = FaceApiLandmarks.Mean(span[48..68]);
        static float Distance(PointF a, PointF b) => MathF.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
        var side = (Distance(mouth, rightEye) + Distance(mouth, leftEye)) / 2 / RelScale;
        var cx = (rightEye.X + leftEye.X + mouth.X) / 3;
        var cy = (rightEye.Y + leftEye.Y + mouth.Y) / 3;
        return new RectangleF(cx - (RelX * side), cy - (RelY * side), side, side);
    }
}
