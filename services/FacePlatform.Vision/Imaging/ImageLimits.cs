namespace FacePlatform.Vision.Imaging;

/// <summary>
/// What the decoder accepts. Both limits are checked before pixels are decoded: the byte count first, then the
/// dimensions in the header, so a small file that claims 100 MP costs nothing.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>Default maximum encoded size: 20 MB (a 40-MP JPEG at high quality is about 15 MB).</summary>
    public const long DefaultMaxBytes = 20L * 1024 * 1024;

    /// <summary>Default maximum pixel count: 40 MP (a decoded 40-MP photo takes 160 MB as RGBA while decoding).</summary>
    public const long DefaultMaxPixels = 40_000_000;

    /// <summary>Largest accepted encoded size in bytes.</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>Largest accepted width × height.</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>The defaults.</summary>
    public static ImageLimits Default { get; } = new();
}
