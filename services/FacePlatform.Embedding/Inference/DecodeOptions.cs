using System.ComponentModel.DataAnnotations;
using FacePlatform.Vision.Imaging;

namespace FacePlatform.Embedding.Inference;

/// <summary>
/// What the embedding service decodes (configuration section <c>Decode</c>): limits per photo, and a budget of pixels
/// decoded at once across all requests, so memory is bounded by the budget and not by the number of callers.
/// </summary>
internal sealed class DecodeOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Decode";

    /// <summary>Largest encoded photo in bytes (default 20 MB, as the gateway).</summary>
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxImageBytes { get; set; } = ImageLimits.DefaultMaxBytes;

    /// <summary>Largest photo in pixels, read from the header before anything is decoded (default 40 MP, as the gateway).</summary>
    [Range(1, 1_000_000_000)]
    public long MaxImagePixels { get; set; } = ImageLimits.DefaultMaxPixels;

    /// <summary>
    /// Pixels decoded or held by requests at once, in the whole process (default 48 MP: one 40-MP photo or about twenty
    /// 2-MP ones). A pixel costs 7 bytes while it is decoded (RGBA staging and the RGB result) and 3 while the photo is
    /// searched for faces, so the default bounds decoded photos to about 340 MB on top of the models.
    /// </summary>
    [Range(1, 1_000_000_000)]
    public long MaxPixelsInFlight { get; set; } = 48_000_000;

    /// <summary>
    /// How long a request waits for room in <see cref="MaxPixelsInFlight"/> before it is refused with
    /// RESOURCE_EXHAUSTED (the gateway answers 429 with Retry-After). Default 2 s: a 40-MP photo holds its pixels about
    /// as long on two cores, so a short queue forms, never an unbounded one.
    /// </summary>
    [Range(0, 60_000)]
    public int WaitMilliseconds { get; set; } = 2000;

    /// <summary>The per-photo limits for the decoder.</summary>
    public ImageLimits ToLimits() => new() { MaxBytes = MaxImageBytes, MaxPixels = MaxImagePixels };
}
