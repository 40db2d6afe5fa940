using System.ComponentModel.DataAnnotations;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Errors;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Faces;

/// <summary>What a face must reach to pass one level of the quality filter.</summary>
public sealed class QualityThresholds
{
    /// <summary>Shorter side of the face's box, in pixels of the photo.</summary>
    [Range(0, 10_000)]
    public float MinFaceSize { get; set; }

    /// <summary>The face's quality sharpness (Laplacian variance v of the aligned crop, as v / (v + 60)).</summary>
    [Range(0, 1)]
    public float MinSharpness { get; set; }

    /// <summary>Largest |yaw| in degrees (head pose from the landmarks).</summary>
    [Range(0, 90)]
    public float MaxYaw { get; set; }

    /// <summary>Largest |pitch| in degrees.</summary>
    [Range(0, 90)]
    public float MaxPitch { get; set; }

    /// <summary>Smallest detector score.</summary>
    [Range(0, 1)]
    public float MinDetectionScore { get; set; }
}

/// <summary>
/// The quality filter of enrolment and search (section <c>QualityGate</c>), like AWS Rekognition's QualityFilter: a
/// caller names a level — none, auto, low, medium, high — and faces below it are left out, each with its reasons.
/// The levels are options, so an operator can tune them; a caller cannot send raw thresholds (one vocabulary for
/// every client). The defaults are a first choice, not calibrated against labelled blur or pose: the sizes follow the
/// recogniser (faces under 40 px lose most identity detail), the angles FaceQuality's frontality (0 near 45° of yaw);
/// the frontal 150–400 px faces of the end-to-end photos reach high, the 30–53 px faces of a VOC group photo fail
/// medium as too_small, and their crops, upscaled to the recogniser's input, sit near the low sharpness floor.
/// </summary>
internal sealed class QualityGateOptions
{
    public const string Section = "QualityGate";

    [Required]
    public QualityThresholds Low { get; set; } = new() { MinFaceSize = 24, MinSharpness = 0.05f, MaxYaw = 60, MaxPitch = 45, MinDetectionScore = 0.5f };

    [Required]
    public QualityThresholds Medium { get; set; } = new() { MinFaceSize = 40, MinSharpness = 0.15f, MaxYaw = 45, MaxPitch = 35, MinDetectionScore = 0.6f };

    [Required]
    public QualityThresholds High { get; set; } = new() { MinFaceSize = 80, MinSharpness = 0.3f, MaxYaw = 30, MaxPitch = 25, MinDetectionScore = 0.75f };

    /// <summary>The level "auto" stands for: low, medium or high.</summary>
    [RegularExpression("^(low|medium|high)$")]
    public string Auto { get; set; } = "medium";

    /// <summary>
    /// The filter when a call names none. "none" keeps enrolment and search as they were before the filter existed
    /// (backward compatible); set "auto" to gate every enrolment.
    /// </summary>
    [RegularExpression("^(none|auto|low|medium|high)$")]
    public string Default { get; set; } = "none";
}

/// <summary>Applies the quality filter: which faces pass, and why each other one does not.</summary>
internal sealed class QualityGate(IOptions<QualityGateOptions> options)
{
    /// <summary>The filter names a caller may send.</summary>
    public static readonly IReadOnlyList<string> FilterNames = ["none", "auto", "low", "medium", "high"];

    /// <summary>The thresholds of <paramref name="filter"/> (null or empty: the configured default); null for "none".</summary>
    public QualityThresholds? Thresholds(string? filter)
    {
        var name = string.IsNullOrWhiteSpace(filter) ? options.Value.Default : filter.Trim().ToLowerInvariant();
        if (name == "auto")
        {
            name = options.Value.Auto;
        }

        return name switch
        {
            "none" => null,
            "low" => options.Value.Low,
            "medium" => options.Value.Medium,
            "high" => options.Value.High,
            _ => throw ApiProblemException.BadRequest($"qualityFilter may be {string.Join(", ", FilterNames)}, not '{filter}'"),
        };
    }

    /// <summary>Splits faces into those that pass and those that do not, with the reasons of each.</summary>
    public static (List<DetectedFace> Passed, List<UnindexedFace> Refused) Split(IEnumerable<DetectedFace> faces, QualityThresholds? thresholds)
    {
        var passed = new List<DetectedFace>();
        var refused = new List<UnindexedFace>();
        foreach (var face in faces)
        {
            var reasons = thresholds is null ? [] : Reasons(face, thresholds);
            if (reasons.Count == 0)
            {
                passed.Add(face);
            }
            else
            {
                refused.Add(new UnindexedFace { Box = face.Box, Reasons = { reasons } });
            }
        }

        return (passed, refused);
    }

    /// <summary>too_small, blurry, not_frontal, low_confidence: every threshold the face misses.</summary>
    public static List<string> Reasons(DetectedFace face, QualityThresholds thresholds)
    {
        var reasons = new List<string>(4);
        if (face.Box is null || MathF.Min(face.Box.Width, face.Box.Height) < thresholds.MinFaceSize)
        {
            reasons.Add("too_small");
        }

        if ((face.Quality?.Sharpness ?? 0) < thresholds.MinSharpness)
        {
            reasons.Add("blurry");
        }

        if (face.Pose is null || MathF.Abs(face.Pose.Yaw) > thresholds.MaxYaw || MathF.Abs(face.Pose.Pitch) > thresholds.MaxPitch)
        {
            reasons.Add("not_frontal");
        }

        if (face.DetectionScore < thresholds.MinDetectionScore)
        {
            reasons.Add("low_confidence");
        }

        return reasons;
    }

    /// <summary>"face at (x, y) 30×32: too_small, blurry; …" for problem details.</summary>
    public static string Describe(IEnumerable<UnindexedFace> faces) =>
        string.Join("; ", faces.Select(f => FormattableString.Invariant(
            $"face at ({f.Box?.X:F0}, {f.Box?.Y:F0}) {f.Box?.Width:F0}×{f.Box?.Height:F0}: {string.Join(", ", f.Reasons)}")));
}
