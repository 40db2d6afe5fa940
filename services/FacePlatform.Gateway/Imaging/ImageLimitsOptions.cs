using System.ComponentModel.DataAnnotations;

namespace FacePlatform.Gateway.Imaging;

/// <summary>Limits on photos sent to the public API (section <c>Limits</c>).</summary>
internal sealed class ImageLimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Largest encoded photo in bytes (default 20 MB); larger requests get 413.</summary>
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxImageBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Largest photo in pixels (default 40 MP), read from the header before anything is decoded; 413 above.</summary>
    [Range(1, 1_000_000_000)]
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>Most photos in one batch enrolment request.</summary>
    [Range(1, 10_000)]
    public int MaxBatchItems { get; set; } = 100;
}
