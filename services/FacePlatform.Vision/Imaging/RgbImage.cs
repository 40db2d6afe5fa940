using System.Buffers;

namespace FacePlatform.Vision.Imaging;

/// <summary>
/// A decoded image as packed RGB24 (row-major, no padding) in a pooled buffer. Photos and aligned face crops both use
/// it, so every sampler works on either. Dispose returns the buffer to the pool.
/// </summary>
public sealed class RgbImage : IDisposable
{
    private byte[]? _buffer;

    private RgbImage(byte[] buffer, int width, int height, bool pooled)
    {
        _buffer = buffer;
        Width = width;
        Height = height;
        Pooled = pooled;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Bytes per row (<c>3 * Width</c>).</summary>
    public int Stride => Width * 3;

    private bool Pooled { get; }

    /// <summary>The RGB bytes, <c>Width * Height * 3</c> of them.</summary>
    public Span<byte> Pixels => (_buffer ?? throw new ObjectDisposedException(nameof(RgbImage))).AsSpan(0, Width * Height * 3);

    /// <summary>A new image whose pixels come from the shared array pool (contents undefined).</summary>
    public static RgbImage Rent(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        return new RgbImage(ArrayPool<byte>.Shared.Rent(checked(width * height * 3)), width, height, pooled: true);
    }

    /// <summary>Wraps bytes the caller owns (e.g. a crop received over gRPC); nothing is copied.</summary>
    public static RgbImage Wrap(byte[] rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (width <= 0 || height <= 0 || rgb.Length < (long)width * height * 3)
        {
            throw new ArgumentException($"An RGB image of {width}x{height} needs {(long)width * height * 3} bytes; got {rgb.Length}.", nameof(rgb));
        }

        return new RgbImage(rgb, width, height, pooled: false);
    }

    /// <summary>A copy of the pixels as a new array (for messages that own their bytes).</summary>
    public byte[] ToArray() => Pixels.ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && Pooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
