using System.Drawing;

namespace FacePlatform.Vision.Detection;

/// <summary>A verified face of a photo, in original (orientation-corrected) image pixels.</summary>
/// <param name="Box">Tight face box: the extent of the face mesh (the detector box without the mesh).</param>
/// <param name="Score">Detector confidence, sigmoid of the BlazeFace logit.</param>
/// <param name="MeshScore">Face-presence probability of the mesh model (1 without the mesh).</param>
/// <param name="Landmarks">Eyes, nose tip and mouth corners.</param>
/// <param name="DetectorBox">The detector's own box.</param>
/// <param name="CropBox">Human's square crop box: the detector box ×1.4, squared, corners rounded.</param>
public sealed record FaceDetection(RectangleF Box, float Score, float MeshScore, FaceLandmarks Landmarks, RectangleF DetectorBox, Rectangle CropBox);
