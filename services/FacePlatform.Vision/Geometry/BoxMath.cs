using System.Drawing;

namespace FacePlatform.Vision.Geometry;

/// <summary>Rectangle arithmetic of detection.</summary>
public static class BoxMath
{
    /// <summary>Intersection over union; 0 when either box is empty.</summary>
    public static float IntersectionOverUnion(RectangleF a, RectangleF b)
    {
        var x1 = MathF.Max(a.Left, b.Left);
        var y1 = MathF.Max(a.Top, b.Top);
        var x2 = MathF.Min(a.Right, b.Right);
        var y2 = MathF.Min(a.Bottom, b.Bottom);
        var intersection = MathF.Max(0, x2 - x1) * MathF.Max(0, y2 - y1);
        var union = (a.Width * a.Height) + (b.Width * b.Height) - intersection;
        return union <= 0 ? 0 : intersection / union;
    }

    /// <summary>The square of side <c>max(w, h)·factor</c> around the box's centre.</summary>
    public static RectangleF EnlargedSquare(RectangleF box, float factor)
    {
        var side = MathF.Max(box.Width, box.Height) * factor;
        var cx = box.X + (box.Width / 2);
        var cy = box.Y + (box.Height / 2);
        return new RectangleF(cx - (side / 2), cy - (side / 2), side, side);
    }

    /// <summary>The box clipped to an image of <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static RectangleF Clip(RectangleF box, int width, int height)
    {
        var x1 = Math.Clamp(box.Left, 0, width);
        var y1 = Math.Clamp(box.Top, 0, height);
        var x2 = Math.Clamp(box.Right, 0, width);
        var y2 = Math.Clamp(box.Bottom, 0, height);
        return RectangleF.FromLTRB(x1, y1, x2, y2);
    }
}
