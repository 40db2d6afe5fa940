using System.Drawing;
using System.Runtime.InteropServices;

namespace FacePlatform.Vision.Geometry;

/// <summary>
/// A 2-D similarity (rotation, uniform scale, translation): <c>x' = a·x − b·y + tx</c>, <c>y' = b·x + a·y + ty</c>.
/// Alignment maps a model's canonical crop into the photo with one, and samples the crop through it.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct SimilarityTransform(float A, float B, float Tx, float Ty)
{
    /// <summary>The identity.</summary>
    public static SimilarityTransform Identity { get; } = new(1, 0, 0, 0);

    /// <summary>The uniform scale factor.</summary>
    public float Scale => MathF.Sqrt((A * A) + (B * B));

    /// <summary>The rotation in radians.</summary>
    public float Angle => MathF.Atan2(B, A);

    /// <summary>Maps a point.</summary>
    public PointF Apply(PointF point) => new((A * point.X) - (B * point.Y) + Tx, (B * point.X) + (A * point.Y) + Ty);

    /// <summary>The inverse transform.</summary>
    public SimilarityTransform Invert()
    {
        var d = (A * A) + (B * B);
        var ia = A / d;
        var ib = -B / d;
        return new SimilarityTransform(ia, ib, -((ia * Tx) - (ib * Ty)), -((ib * Tx) + (ia * Ty)));
    }

    /// <summary><c>this ∘ inner</c>: applies <paramref name="inner"/> first.</summary>
    public SimilarityTransform Compose(SimilarityTransform inner) => new(
        (A * inner.A) - (B * inner.B),
        (B * inner.A) + (A * inner.B),
        (A * inner.Tx) - (B * inner.Ty) + Tx,
        (B * inner.Tx) + (A * inner.Ty) + Ty);

    /// <summary>
    /// The least-squares similarity that maps <paramref name="source"/> onto <paramref name="target"/> (Umeyama 1991
    /// without reflection; closed form for 2-D).
    /// </summary>
    public static SimilarityTransform Estimate(ReadOnlySpan<PointF> source, ReadOnlySpan<PointF> target)
    {
        if (source.Length != target.Length || source.Length < 2)
        {
            throw new ArgumentException("A similarity needs at least two pairs of points.", nameof(source));
        }

        double sx = 0, sy = 0, tx = 0, ty = 0;
        for (var i = 0; i < source.Length; i++)
        {
            sx += source[i].X;
            sy += source[i].Y;
            tx += target[i].X;
            ty += target[i].Y;
        }

        var n = source.Length;
        sx /= n;
        sy /= n;
        tx /= n;
        ty /= n;
        double dot = 0, cross = 0, norm = 0;
        for (var i = 0; i < n; i++)
        {
            var px = source[i].X - sx;
            var py = source[i].Y - sy;
            var qx = target[i].X - tx;
            var qy = target[i].Y - ty;
            dot += (px * qx) + (py * qy);
            cross += (px * qy) - (py * qx);
            norm += (px * px) + (py * py);
        }

        if (norm <= 0)
        {
            throw new ArgumentException("The source points coincide.", nameof(source));
        }

        var a = dot / norm;
        var b = cross / norm;
        return new SimilarityTransform(
            (float)a,
            (float)b,
            (float)(tx - ((a * sx) - (b * sy))),
            (float)(ty - ((b * sx) + (a * sy))));
    }
}
