using FacePlatform.Vision.Geometry;

namespace FacePlatform.Vision.Detection;

/// <summary>Non-maximum suppression of detector candidates.</summary>
public static class NonMaxSuppression
{
    /// <summary>
    /// Hard NMS as TensorFlow's <c>nonMaxSuppression</c> (Human's settings: IoU 0.1, 50 boxes): visits candidates by
    /// descending score (ties: lower anchor first) and drops one whose IoU with a kept box is ≥
    /// <paramref name="iouThreshold"/>. With <paramref name="containment"/> &lt; 1 it also drops a candidate that lies
    /// mostly inside a kept box (intersection over the smaller box ≥ containment): a face cut by a tile border.
    /// </summary>
    public static List<FaceCandidate> Apply(IReadOnlyList<FaceCandidate> candidates, float iouThreshold, int maxOutput, float containment = 1f)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var order = Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => candidates[i].Score)
            .ThenBy(i => candidates[i].Anchor)
            .ToList();
        var kept = new List<FaceCandidate>();
        foreach (var index in order)
        {
            if (kept.Count >= maxOutput)
            {
                break;
            }

            var candidate = candidates[index];
            var suppressed = false;
            foreach (var other in kept)
            {
                if (BoxMath.IntersectionOverUnion(candidate.Box, other.Box) >= iouThreshold || (containment < 1 && Containment(candidate, other) >= containment))
                {
                    suppressed = true;
                    break;
                }
            }

            if (!suppressed)
            {
                kept.Add(candidate);
            }
        }

        return kept;
    }

    private static float Containment(FaceCandidate a, FaceCandidate b)
    {
        var x1 = MathF.Max(a.Box.Left, b.Box.Left);
        var y1 = MathF.Max(a.Box.Top, b.Box.Top);
        var x2 = MathF.Min(a.Box.Right, b.Box.Right);
        var y2 = MathF.Min(a.Box.Bottom, b.Box.Bottom);
        var intersection = MathF.Max(0, x2 - x1) * MathF.Max(0, y2 - y1);
        var smaller = MathF.Min(a.Box.Width * a.Box.Height, b.Box.Width * b.Box.Height);
        return smaller <= 0 ? 0 : intersection / smaller;
    }
}
