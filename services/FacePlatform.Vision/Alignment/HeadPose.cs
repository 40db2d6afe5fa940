using FacePlatform.Vision.Detection;

namespace FacePlatform.Vision.Alignment;

/// <summary>
/// Head pose in degrees, estimated from the five 2-D landmarks the detector already gives (no extra model run).
/// Sign convention, from the camera's point of view on an upright photo: <paramref name="Yaw"/> &gt; 0 when the subject
/// turns to their own left (the nose moves towards the photo's right edge), <paramref name="Pitch"/> &gt; 0 when the
/// subject looks up (chin raised), <paramref name="Roll"/> &gt; 0 when the head tilts clockwise in the photo (the eye
/// on the photo's right sits lower). All three are 0 for a frontal, upright face.
/// </summary>
/// <param name="Yaw">Left/right turn, −90..90.</param>
/// <param name="Pitch">Up/down nod, −90..90.</param>
/// <param name="Roll">In-plane tilt, −180..180.</param>
public readonly record struct HeadPose(float Yaw, float Pitch, float Roll)
{
    // A weak-perspective model of an average head, in eye distances: the nose tip sits half an eye distance in front
    // of the eye line (the same assumption that puts FaceQuality's frontality at 0 near 45° of yaw), and on a frontal
    // face the nose tip lies 0.494 of the way from the eye line down to the mouth line, 1.15 eye distances below the
    // eyes (the ArcFace 112×112 template: eyes at y 51.7, nose 71.7, mouth corners 92.2, eye distance 35.2 px).
    // Not calibrated against labelled poses: read the angles as ±10° estimates, good for gating and sorting faces.
    private const float NoseDepth = 0.5f;
    private const float FrontalNoseRatio = 0.494f;
    private const float EyeToMouth = 1.15f;

    /// <summary>
    /// Roll is the angle of the eye line. Yaw and pitch come from where the nose tip falls in the face's own frame
    /// (rotated by roll): its offset along the eye line from the eyes' midpoint is depth·sin(yaw) while the eye
    /// distance shrinks by cos(yaw), so yaw = atan(offset / depth); its drop below the eye line, as a share of the
    /// eye-to-mouth drop, falls by (depth / eye-to-mouth)·tan(pitch) as the head tips back.
    /// </summary>
    public static HeadPose Estimate(FaceLandmarks landmarks)
    {
        var dx = landmarks.LeftEye.X - landmarks.RightEye.X;
        var dy = landmarks.LeftEye.Y - landmarks.RightEye.Y;
        var eyeDistance = MathF.Max(MathF.Sqrt((dx * dx) + (dy * dy)), 1e-3f);
        var (ex, ey) = (dx / eyeDistance, dy / eyeDistance);
        var roll = MathF.Atan2(dy, dx);

        var midX = (landmarks.RightEye.X + landmarks.LeftEye.X) / 2;
        var midY = (landmarks.RightEye.Y + landmarks.LeftEye.Y) / 2;
        var (noseX, noseY) = (landmarks.Nose.X - midX, landmarks.Nose.Y - midY);
        var mouth = landmarks.MouthCentre;
        var (mouthX, mouthY) = (mouth.X - midX, mouth.Y - midY);

        // Along the eye line (towards the photo's right on an upright face) and down the face (perpendicular to it).
        var noseAlong = ((noseX * ex) + (noseY * ey)) / eyeDistance;
        var noseDown = (noseY * ex) - (noseX * ey);
        var mouthDown = (mouthY * ex) - (mouthX * ey);

        var yaw = MathF.Atan(noseAlong / NoseDepth);
        var ratio = MathF.Abs(mouthDown) > 1e-3f ? noseDown / mouthDown : FrontalNoseRatio;
        var pitch = MathF.Atan((FrontalNoseRatio - ratio) * EyeToMouth / NoseDepth);
        return new HeadPose(Degrees(yaw), Degrees(pitch), Degrees(roll));
    }

    private static float Degrees(float radians) => radians * (180f / MathF.PI);
}
