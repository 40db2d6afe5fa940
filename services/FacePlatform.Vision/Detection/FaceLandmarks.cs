using System.Drawing;
using System.Runtime.InteropServices;

namespace FacePlatform.Vision.Detection;

/// <summary>
/// Five facial landmarks in image pixels, named from the subject's point of view: the subject's right eye is on the
/// image's left in a frontal photo (MediaPipe and ArcFace convention).
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct FaceLandmarks(PointF RightEye, PointF LeftEye, PointF Nose, PointF MouthRight, PointF MouthLeft)
{
    /// <summary>Midpoint of the mouth corners.</summary>
    public PointF MouthCentre => new((MouthRight.X + MouthLeft.X) / 2, (MouthRight.Y + MouthLeft.Y) / 2);

    /// <summary>Distance between the eye centres.</summary>
    public float EyeDistance => MathF.Sqrt(((LeftEye.X - RightEye.X) * (LeftEye.X - RightEye.X)) + ((LeftEye.Y - RightEye.Y) * (LeftEye.Y - RightEye.Y)));

    /// <summary>The points alignment fits: right eye, left eye, nose tip, mouth centre.</summary>
    public PointF[] AlignmentPoints() => [RightEye, LeftEye, Nose, MouthCentre];

    /// <summary>The five points in the proto's names, in this order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["right_eye", "left_eye", "nose", "mouth_right", "mouth_left"];

    /// <summary>The five points in <see cref="Names"/> order.</summary>
    public PointF[] ToArray() => [RightEye, LeftEye, Nose, MouthRight, MouthLeft];

    /// <summary>The same landmarks moved by <paramref name="map"/>.</summary>
    public FaceLandmarks Map(Func<PointF, PointF> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return new(map(RightEye), map(LeftEye), map(Nose), map(MouthRight), map(MouthLeft));
    }
}
