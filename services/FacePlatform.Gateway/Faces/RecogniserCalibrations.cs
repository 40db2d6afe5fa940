using System.Collections.Concurrent;
using FacePlatform.Contracts.Internal.V1;

namespace FacePlatform.Gateway.Faces;

/// <summary>
/// The calibrated thresholds of each recogniser (docs/accuracy.md, "Open set"), as the embedding service last sent
/// them with a detection. Search and verify by vector or enrolled face run no detection, so they use what an earlier
/// photo brought; before any photo since start they fall back to the fixed defaults (Recognition:VerifyThreshold,
/// identity's Identity:DefaultThreshold).
/// </summary>
internal sealed class RecogniserCalibrations
{
    private readonly ConcurrentDictionary<string, ThresholdCalibration> _byModel = new(StringComparer.Ordinal);

    /// <summary>Keeps the calibration a detection carried, if any.</summary>
    public void Remember(DetectResponse detected)
    {
        if (detected.Calibration is { Points.Count: > 0 } calibration && !string.IsNullOrEmpty(calibration.ModelId))
        {
            _byModel[calibration.ModelId] = calibration;
        }
    }

    /// <summary>The threshold at <paramref name="perSearchRate"/> for a gallery of <paramref name="galleryFaces"/>; null when <paramref name="modelId"/> is not calibrated.</summary>
    public float? ThresholdFor(string modelId, double perSearchRate, long galleryFaces) =>
        _byModel.TryGetValue(modelId, out var calibration) ? calibration.ThresholdFor(perSearchRate, Math.Max(1, galleryFaces)) : null;
}
