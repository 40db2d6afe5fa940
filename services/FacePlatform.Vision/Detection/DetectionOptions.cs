namespace FacePlatform.Vision.Detection;

/// <summary>Face detection settings (configuration section <c>Detection</c>), with measured defaults.</summary>
public sealed class DetectionOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Detection";

    /// <summary>
    /// Detector model (manifest name): <c>blazeface-back</c> (tiles, mesh check, padded view), or face-api's
    /// <c>faceapi-ssd</c> / <c>faceapi-tiny-detector</c> (one whole-photo pass each; measured in docs/accuracy.md).
    /// </summary>
    public string Detector { get; set; } = "blazeface-back";

    /// <summary>Landmark/verification model (manifest name); empty = no mesh (BlazeFace keypoints only).</summary>
    public string Mesh { get; set; } = "facemesh";

    /// <summary>
    /// Smallest face (box side, image pixels) the tiling ever looks for: a request's <c>minFaceSize</c> is raised to
    /// it. Requests that name no size get <see cref="MinFaceFraction"/> of the photo's longer side, at least this.
    /// </summary>
    public int MinFaceSize { get; set; } = 20;

    /// <summary>
    /// Smallest face looked for when a request names no size, as a fraction of the photo's longer side (1/24: 80 px in
    /// a 1920-px photo, 53 px in a 1280-px one). The cost of detection grows with the square of (longer side /
    /// smallest face): 7 detector tiles for a 1920×1350 photo at 1/24, 101 for 20-px faces in it, 409 for 20-px faces in 10 MP
    /// (docs/benchmarks.md has the times, docs/accuracy.md the recall by face size).
    /// </summary>
    public float MinFaceFraction { get; set; } = 1f / 24;

    /// <summary>
    /// The floor under any request's smallest face, as a fraction of the photo's longer side (default 1/100: 20 px up
    /// to 2000 px, 39 px in 10 MP, 73 px in a 40-MP photo); a request asking for less is raised to it. Tile count grows
    /// with the square of (longer side / smallest face): at 1/200 a 40-MP photo took the full 512 tiles (about 4 s of
    /// both cores, and past the gateway's 30-s deadline with sixteen such requests in flight), at 1/100 about 150.
    /// Rekognition asks for 40 px in 1920×1080 (1/48) and larger faces in larger photos.
    /// </summary>
    public float MinFaceFloorFraction { get; set; } = 1f / 100;

    /// <summary>
    /// The smallest face side (image pixels) looked for in a <paramref name="width"/>×<paramref name="height"/> photo:
    /// the requested size, or <see cref="MinFaceFraction"/> of the longer side when none (0) is asked, never below
    /// <see cref="MinFaceSize"/> nor <see cref="MinFaceFloorFraction"/> of the longer side.
    /// </summary>
    public float MinFaceFor(int width, int height, int requested = 0)
    {
        var longer = Math.Max(width, height);
        var floor = MathF.Max(MinFaceSize, MinFaceFloorFraction * longer);
        return MathF.Max(floor, requested > 0 ? requested : MinFaceFraction * longer);
    }

    /// <summary>
    /// The smallest face's side in detector input pixels in the finest tiles. Measured with
    /// <c>facectl eval make-small-faces</c> (faces pasted into 10 MP photos, asking for 20-px faces): at 20 BlazeFace
    /// finds 60 % of 20-px faces, 96 % of 28-px and 100 % of 40-px ones (at 16: 54 %, 84 %, 92 %).
    /// </summary>
    public float MinDetectableInput { get; set; } = 20;

    /// <summary>
    /// Side of one more whole-photo view, centred, as a multiple of the photo's longer side (the rest black); 0 or 1:
    /// none. BlazeFace misses faces that fill the frame (tight face chips); in a view twice the photo's size such a
    /// face covers half the input, where the detector finds it (docs/accuracy.md, "Faces that fill the photo").
    /// </summary>
    public float PaddedView { get; set; } = 2f;

    /// <summary>
    /// Smallest face the padded view may add, as a fraction of the photo's shorter side: smaller candidates of that
    /// view are dropped, since the other views see them at twice the resolution.
    /// </summary>
    public float PaddedViewMinFace { get; set; } = 0.4f;

    /// <summary>Most detector tiles per photo (the whole image counts as one).</summary>
    public int MaxTiles { get; set; } = 512;

    /// <summary>
    /// Candidates need a detector score above this. Human uses 0.2 on one whole-image pass; with tiles each face is
    /// seen at a good scale, and on dlib + CompreFace (96 faces) 0.5 keeps recall at 100 % while precision at IoU 0.5
    /// rises from 0.91 to 0.98 (docs/accuracy.md).
    /// </summary>
    public float ScoreThreshold { get; set; } = 0.5f;

    /// <summary>Candidates need a mesh face-presence probability above this (Human: 0.2; measured as above).</summary>
    public float MeshThreshold { get; set; } = 0.5f;

    /// <summary>IoU at which a lower-scored candidate is suppressed.</summary>
    public float NmsIou { get; set; } = 0.3f;

    /// <summary>Intersection over the smaller box at which a candidate is suppressed (faces cut by tile borders).</summary>
    public float NmsContainment { get; set; } = 0.6f;

    /// <summary>Most candidates verified by the mesh.</summary>
    public int MaxCandidates { get; set; } = 100;

    /// <summary>Most faces returned (largest first).</summary>
    public int MaxFaces { get; set; } = 50;

    /// <summary>Human's crop enlargement around the detector box.</summary>
    public float CropScale { get; set; } = 1.4f;

    /// <summary>A shallow copy (every setting is a value), for a profile's changed settings (Pipeline/InferenceProfiles.cs).</summary>
    public DetectionOptions Clone() => (DetectionOptions)MemberwiseClone();
}
