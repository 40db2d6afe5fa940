using System.Drawing;

namespace FacePlatform.Vision.Detection;

/// <summary>
/// Turns a detector's raw rows (logit + 16 regressors per anchor) into candidates, exactly as Human 3.3.6 does
/// (PREPROCESSING.md §1): centre = regressor + anchor, size regressed in input pixels, keypoints relative to the
/// anchor, score = sigmoid(logit) without clipping; box corners computed in float32 as <c>((c/S) ∓ (size/S)/2)·S</c>.
/// </summary>
public static class DetectorDecoder
{
    /// <summary>Values per anchor row.</summary>
    public const int RowSize = 17;

    /// <summary>
    /// Decodes the rows whose score exceeds <paramref name="minScore"/>, mapping input pixel (u, v) to image pixel
    /// <c>(offsetX + u·scaleX, offsetY + v·scaleY)</c>.
    /// </summary>
    public static void Decode(
        ReadOnlySpan<float> rows, AnchorLayout anchors, float minScore, float offsetX, float scaleX, float offsetY, float scaleY, List<FaceCandidate> output)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(output);
        var size = (float)anchors.InputSize;
        var centres = anchors.Centres;
        var logitThreshold = MathF.Log(minScore / (1 - minScore));
        for (var i = 0; i < anchors.Count; i++)
        {
            var row = rows.Slice(i * RowSize, RowSize);
            if (row[0] <= logitThreshold)
            {
                continue;
            }

            var score = 1f / (1f + MathF.Exp(-row[0]));
            if (score <= minScore)
            {
                continue;
            }

            var ax = centres[2 * i];
            var ay = centres[(2 * i) + 1];
            var cx = row[1] + ax;
            var cy = row[2] + ay;
            var halfW = row[3] / size / 2;
            var halfH = row[4] / size / 2;
            var x1 = ((cx / size) - halfW) * size;
            var y1 = ((cy / size) - halfH) * size;
            var x2 = ((cx / size) + halfW) * size;
            var y2 = ((cy / size) + halfH) * size;
            var keypoints = new PointF[6];
            for (var k = 0; k < 6; k++)
            {
                keypoints[k] = new PointF(offsetX + ((row[5 + (2 * k)] + ax) * scaleX), offsetY + ((row[6 + (2 * k)] + ay) * scaleY));
            }

            var box = RectangleF.FromLTRB(offsetX + (x1 * scaleX), offsetY + (y1 * scaleY), offsetX + (x2 * scaleX), offsetY + (y2 * scaleY));
            output.Add(new FaceCandidate(box, score, keypoints, i));
        }
    }

    /// <summary>
    /// Concatenates BlazeFace's two heads of one sample (the 512 finer-stride rows first, then the 384 coarser ones)
    /// into 896 rows of 17 values.
    /// </summary>
    public static void Interleave(
        ReadOnlySpan<float> logits512, ReadOnlySpan<float> regressors512, ReadOnlySpan<float> logits384, ReadOnlySpan<float> regressors384, Span<float> rows)
    {
        for (var i = 0; i < 512; i++)
        {
            rows[i * RowSize] = logits512[i];
            regressors512.Slice(i * 16, 16).CopyTo(rows.Slice((i * RowSize) + 1, 16));
        }

        for (var i = 0; i < 384; i++)
        {
            var r = (512 + i) * RowSize;
            rows[r] = logits384[i];
            regressors384.Slice(i * 16, 16).CopyTo(rows.Slice(r + 1, 16));
        }
    }
}
