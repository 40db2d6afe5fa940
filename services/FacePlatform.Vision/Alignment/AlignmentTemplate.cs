using System.Drawing;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Geometry;

namespace FacePlatform.Vision.Alignment;

/// <summary>How a crop is cut from the photo.</summary>
public enum CropMode
{
    /// <summary>Similarity transform from the landmarks to the template: the eye line becomes horizontal.</summary>
    Aligned,

    /// <summary>The same scale and centre, without rotation.</summary>
    Upright,

    /// <summary>
    /// Human 3.3.6's crop: the detector box ×1.4, squared, axis-aligned, resampled once to the input size (Human
    /// resamples twice, 192² then 224²). No landmarks are used.
    /// </summary>
    DetectorBox,
}

/// <summary>
/// Where a model expects the face inside its square crop: the ArcFace 5-point template (InsightFace, 112×112) scaled by
/// <see cref="Scale"/> and shifted by (<see cref="OffsetX"/>, <see cref="OffsetY"/>) in units of the crop side.
/// </summary>
/// <param name="Name">Template id.</param>
/// <param name="Scale">Zoom relative to the ArcFace template (below 1 shows more context).</param>
/// <param name="OffsetX">Horizontal shift, fraction of the crop side.</param>
/// <param name="OffsetY">Vertical shift, fraction of the crop side.</param>
public sealed record AlignmentTemplate(string Name, float Scale, float OffsetX, float OffsetY)
{
    // InsightFace's arcface_dst for 112×112 crops: right eye, left eye (subject's view), nose tip, mouth right, mouth left.
    private static readonly PointF[] ArcFace112 =
    [
        new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f), new(41.5493f, 92.3655f), new(70.7299f, 92.2041f),
    ];

    /// <summary>The ArcFace template itself: the tight crop MobileFaceNet-style recognisers are trained on.</summary>
    public static AlignmentTemplate ArcFace { get; } = new("arcface", 1f, 0f, 0f);

    /// <summary>
    /// The framing of Human 3.3.6's face crop (detector box ×1.4, squared), fitted to the mean eye, nose and mouth
    /// positions of the 26 reference faces: the ArcFace template at 0.716 scale, centred horizontally, 0.055 down. FaceRes,
    /// emotion, anti-spoofing and liveness were all used with this crop.
    /// </summary>
    public static AlignmentTemplate HumanBox { get; } = new("human-box", 0.716f, 0.142f, 0.055f);

    /// <summary>The template named <paramref name="name"/> (arcface, human-box, or <c>arcface@0.8</c> for a zoom).</summary>
    public static AlignmentTemplate Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("arcface@", StringComparison.Ordinal))
        {
            var scale = float.Parse(name.AsSpan(8), System.Globalization.CultureInfo.InvariantCulture);
            return new AlignmentTemplate(name, scale, (1 - scale) / 2, (1 - scale) / 2 * 0.4f);
        }

        return name switch
        {
            "arcface" => ArcFace,
            "human-box" => HumanBox,
            _ => throw new ArgumentException($"Unknown alignment template '{name}'.", nameof(name)),
        };
    }

    /// <summary>The template's right eye, left eye, nose tip and mouth centre in pixels of a <paramref name="size"/>² crop.</summary>
    public PointF[] AlignmentPoints(int size)
    {
        var mouth = new PointF((ArcFace112[3].X + ArcFace112[4].X) / 2, (ArcFace112[3].Y + ArcFace112[4].Y) / 2);
        return [ToCrop(ArcFace112[0], size), ToCrop(ArcFace112[1], size), ToCrop(ArcFace112[2], size), ToCrop(mouth, size)];
    }

    /// <summary>Eye distance of the template in pixels of a <paramref name="size"/>² crop.</summary>
    public float EyeDistance(int size) => (ArcFace112[1].X - ArcFace112[0].X) / 112f * Scale * size;

    /// <summary>The transform from crop pixels to image pixels that puts <paramref name="landmarks"/> on the template.</summary>
    public SimilarityTransform CropToImage(FaceLandmarks landmarks, int size, CropMode mode = CropMode.Aligned)
    {
        var template = AlignmentPoints(size);
        var transform = SimilarityTransform.Estimate(template, landmarks.AlignmentPoints());
        if (mode == CropMode.Aligned)
        {
            return transform;
        }

        float cx = 0, cy = 0;
        foreach (var p in template)
        {
            cx += p.X / template.Length;
            cy += p.Y / template.Length;
        }

        var centre = transform.Apply(new PointF(cx, cy));
        var s = transform.Scale;
        return new SimilarityTransform(s, 0, centre.X - (s * cx), centre.Y - (s * cy));
    }

    /// <summary>
    /// The transform from pixels of a <paramref name="size"/>² crop with this template to pixels of a
    /// <paramref name="sourceSize"/>² crop with <paramref name="source"/>'s template (a zoom and shift).
    /// </summary>
    public SimilarityTransform ToCrop(AlignmentTemplate source, int sourceSize, int size)
    {
        ArgumentNullException.ThrowIfNull(source);
        // p (this crop) → ArcFace unit u = (p/size − offset)/scale → source pixel (u·scaleS + offsetS)·sizeS.
        var a = source.Scale * sourceSize / (Scale * size);
        var tx = ((-OffsetX / Scale * source.Scale) + source.OffsetX) * sourceSize;
        var ty = ((-OffsetY / Scale * source.Scale) + source.OffsetY) * sourceSize;
        return new SimilarityTransform(a, 0, tx, ty);
    }

    private PointF ToCrop(PointF arc112, int size) =>
        new(((arc112.X / 112f * Scale) + OffsetX) * size, ((arc112.Y / 112f * Scale) + OffsetY) * size);
}
