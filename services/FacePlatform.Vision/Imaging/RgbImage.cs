using System.Buffers;
using System.Runtime.InteropServices;

namespace FacePlatform.Vision.Imaging;

/// <summary>
/// A decoded image as packed RGB24 (row-major, no padding). Photos and aligned face crops both use it, so every sampler
/// works on either. Small images (crops, thumbnails) live in the shared array pool; images above
/// <see cref="PooledLimitBytes"/> get their own native block, freed on Dispose, so a burst of large photos leaves no
/// memory behind: the shared pool keeps what it is given (a 40-MP photo pinned 128 MB per pooled array), and freed
/// large-object-heap arrays wait for a full GC before the process shrinks.
/// </summary>
public sealed class RgbImage : IDisposable
{
    /// <summary>
    /// Largest buffer taken from (and given back to) the shared array pool: 4 MiB, a 1.4-MP photo. Aligned crops
    /// (112² to 256²) are far below it; photos above it are allocated and freed per request.
    /// </summary>
    public const int PooledLimitBytes = 4 * 1024 * 1024;

    private byte[]? _buffer;
    private NativeBuffer? _native;

    private RgbImage(byte[]? buffer, NativeBuffer? native, int width, int height, bool pooled)
    {
        _buffer = buffer;
        _native = native;
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

    /// <summary>True when the pixels live in their own native block rather than a managed array.</summary>
    public bool IsNative => _native is not null;

    private bool Pooled { get; }

    /// <summary>The RGB bytes, <c>Width * Height * 3</c> of them.</summary>
    public Span<byte> Pixels => _native is { } native
        ? native.Span
        : (_buffer ?? throw new ObjectDisposedException(nameof(RgbImage))).AsSpan(0, Width * Height * 3);

    /// <summary>
    /// A new image (contents undefined): from the shared array pool up to <see cref="PooledLimitBytes"/>, above it a
    /// native block of its own.
    /// </summary>
    public static RgbImage Rent(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var length = checked(width * height * 3);
        return length > PooledLimitBytes
            ? new RgbImage(null, new NativeBuffer(length), width, height, pooled: false)
            : new RgbImage(ArrayPool<byte>.Shared.Rent(length), null, width, height, pooled: true);
    }

    /// <summary>Wraps bytes the caller owns (e.g. a crop received over gRPC); nothing is copied.</summary>
    public static RgbImage Wrap(byte[] rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (width <= 0 || height <= 0 || rgb.Length < (long)width * height * 3)
        {
            throw new ArgumentException($"An RGB image of {width}x{height} needs {(long)width * height * 3} bytes; got {rgb.Length}.", nameof(rgb));
        }

        return new RgbImage(rgb, null, width, height, pooled: false);
    }

    /// <summary>A copy of the pixels as a new array (for messages that own their bytes).</summary>
    public byte[] ToArray() => Pixels.ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        Interlocked.Exchange(ref _native, null)?.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && Pooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// A block of native memory freed on Dispose (or, if forgotten, by the finalizer): for image-sized buffers that must
/// not stay in the process after the request (glibc serves blocks this large with mmap and unmaps them on free).
/// </summary>
internal sealed unsafe class NativeBuffer : SafeHandle
{
    public NativeBuffer(int length)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        SetHandle((IntPtr)NativeMemory.Alloc((nuint)length));
        GC.AddMemoryPressure(length);
    }

    public int Length { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public IntPtr Pointer => IsClosed ? throw new ObjectDisposedException(nameof(NativeBuffer)) : handle;

    public Span<byte> Span => new((void*)Pointer, Length);

    protected override bool ReleaseHandle()
    {
        NativeMemory.Free((void*)handle);
        GC.RemoveMemoryPressure(Length);
        return true;
    }
}
