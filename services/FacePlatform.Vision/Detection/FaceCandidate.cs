using System.Drawing;

namespace FacePlatform.Vision.Detection;

/// <summary>
/// A detector hit in original-image pixels: the box, the score and BlazeFace's six keypoints in MediaPipe order
/// (subject's view): right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
/// </summary>
/// <param name="Box">Box in image pixels.</param>
/// <param name="Score">sigmoid(logit).</param>
/// <param name="Keypoints">Six keypoints in image pixels.</param>
/// <param name="Anchor">Index of the anchor row in its detector pass (ties in NMS go to the lower index).</param>
public sealed record FaceCandidate(RectangleF Box, float Score, PointF[] Keypoints, int Anchor);
