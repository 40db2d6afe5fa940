using System.Buffers;
using System.Drawing;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;

namespace FacePlatform.Vision.Alignment;

/// <summary>How usable a face is for recognition; every part in [0, 1], 1 best.</summary>
/// <param name="Score">Geometric mean of the three parts.</param>
/// <param name="Sharpness">Variance of the Laplacian of the grey aligned crop, as <c>v / (v + 60)</c>.</param>
/// <param name="Size">Eye distance in the photo over the template's eye distance at the recogniser's input size.</param>
/// <param name="Frontality">1 − 2·|nose offset along the eye line| / eye distance (0 at about 45° of yaw).</param>
public sealed record FaceQuality(float Score, float Sharpness, float Size, float Frontality)
{
    // Half-saturation of the Laplacian variance on the 0..255 grey crop. A first choice, not yet calibrated against
    // labelled blur: a crop with variance 60 scores 0.5.
    private const float SharpnessHalf = 60f;

    /// <summary>Scores a face from its landmarks and its aligned crop.</summary>
    public static FaceQuality Estimate(FaceLandmarks landmarks, RgbImage crop, AlignmentTemplate template)
    {
        ArgumentNullException.ThrowIfNull(crop);
        ArgumentNullException.ThrowIfNull(template);
        var eyeDistance = landmarks.EyeDistance;
        var size = Math.Clamp(eyeDistance / template.EyeDistance(crop.Width), 0f, 1f);

        var mid = new PointF((landmarks.RightEye.X + landmarks.LeftEye.X) / 2, (landmarks.RightEye.Y + landmarks.LeftEye.Y) / 2);
        var ex = (landmarks.LeftEye.X - landmarks.RightEye.X) / Math.Max(eyeDistance, 1e-3f);
        var ey = (landmarks.LeftEye.Y - landmarks.RightEye.Y) / Math.Max(eyeDistance, 1e-3f);
        var along = (((landmarks.Nose.X - mid.X) * ex) + ((landmarks.Nose.Y - mid.Y) * ey)) / Math.Max(eyeDistance, 1e-3f);
        var frontality = Math.Clamp(1 - (2 * MathF.Abs(along)), 0f, 1f);

        var variance = LaplacianVariance(crop);
        var sharpness = variance / (variance + SharpnessHalf);
        var score = MathF.Cbrt(size * frontality * sharpness);
        return new FaceQuality(score, sharpness, size, frontality);
    }

    /// <summary>Variance of the 4-neighbour Laplacian of the grey image (inner pixels; 0..255 scale).</summary>
    public static float LaplacianVariance(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixels = image.Pixels;
        var w = image.Width;
        var h = image.Height;

        // A pooled grey plane (a new 224² float array went to the large-object heap for every face).
        var buffer = ArrayPool<float>.Shared.Rent(w * h);
        try
        {
            var grey = buffer.AsSpan(0, w * h);
            for (var i = 0; i < grey.Length; i++)
            {
                var rgb = pixels.Slice(i * 3, 3);
                grey[i] = (0.299f * rgb[0]) + (0.587f * rgb[1]) + (0.114f * rgb[2]);
            }

            double sum = 0, squares = 0;
            var n = 0;
            for (var y = 1; y < h - 1; y++)
            {
                var above = grey.Slice((y - 1) * w, w);
                var row = grey.Slice(y * w, w);
                var below = grey.Slice((y + 1) * w, w);
                for (var x = 1; x < w - 1; x++)
                {
                    var l = row[x - 1] + row[x + 1] + above[x] + below[x] - (4 * row[x]);
                    sum += l;
                    squares += l * l;
                    n++;
                }
            }

            if (n == 0)
            {
                return 0;
            }

            var mean = sum / n;
            return (float)((squares / n) - (mean * mean));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
