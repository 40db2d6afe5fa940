using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SkiaSharp;

namespace FacePlatform.Vision.Imaging;

/// <summary>
/// Decodes JPEG, PNG, WebP, BMP, GIF (first frame) and ICO with SkiaSharp into packed RGB24, applying the EXIF
/// orientation (SkiaSharp reports it but does not apply it). Grey, CMYK, 16-bit and palette images come out as 8-bit
/// RGB; pixels with alpha are composited over white, as a browser shows them. No colour management: the ICC profile is
/// ignored, which is what the TF.js reference pipeline did and what keeps our pixels identical to it on JPEGs.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Reads only the header: format, size and orientation, after the byte limit.</summary>
    public static ImageHeader ReadHeader(ReadOnlySpan<byte> encoded, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        CheckBytes(encoded.Length, limits);
        using var data = SKData.CreateCopy(encoded);
        using var codec = OpenCodec(data);
        return HeaderOf(codec);
    }

    /// <summary>Decodes an image within <paramref name="limits"/> (default <see cref="ImageLimits.Default"/>).</summary>
    /// <exception cref="ImageRejectedException">The image is empty, too large, of an unsupported format or broken.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> encoded, ImageLimits? limits = null)
    {
        using var opened = Open(encoded, limits);
        return opened.Decode();
    }

    /// <summary>
    /// Reads the header and checks bytes and pixels against <paramref name="limits"/> without decoding a pixel, so a
    /// caller can take the decode's cost (<see cref="ImageHeader.Pixels"/>) from a budget before paying it.
    /// </summary>
    /// <exception cref="ImageRejectedException">The image is empty, too large, of an unsupported format or its header is broken.</exception>
    public static EncodedImage Open(ReadOnlySpan<byte> encoded, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        CheckBytes(encoded.Length, limits);
        return Open(SKData.CreateCopy(encoded), default, limits);
    }

    /// <summary>
    /// As <see cref="Open(ReadOnlySpan{byte}, ImageLimits?)"/>, reading <paramref name="encoded"/> where it lies (pinned
    /// until the result is disposed; nothing may write to it meanwhile) instead of from a native copy: a 20-MB copy
    /// per photo went through glibc's malloc, whose arenas kept the freed memory (the embedding service stayed
    /// 130 MB of native memory above its start after photo-sized gRPC messages; docs/reliability.md).
    /// </summary>
    /// <exception cref="ImageRejectedException">The image is empty, too large, of an unsupported format or its header is broken.</exception>
    public static unsafe EncodedImage Open(ReadOnlyMemory<byte> encoded, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        CheckBytes(encoded.Length, limits);
        var pinned = encoded.Pin();
        return Open(SKData.Create((IntPtr)pinned.Pointer, encoded.Length), pinned, limits);
    }

    private static EncodedImage Open(SKData data, System.Buffers.MemoryHandle pinned, ImageLimits limits)
    {
        try
        {
            var codec = OpenCodec(data);
            try
            {
                var header = HeaderOf(codec);
                if (header.Pixels > limits.MaxPixels)
                {
                    throw new ImageRejectedException(
                        ImageErrorCode.TooManyPixels,
                        $"The image is {header.StoredWidth}x{header.StoredHeight} ({header.Pixels / 1e6:F1} MP); the limit is {limits.MaxPixels / 1e6:F1} MP.");
                }

                return new EncodedImage(data, codec, header, pinned);
            }
            catch
            {
                codec.Dispose();
                throw;
            }
        }
        catch
        {
            data.Dispose();
            pinned.Dispose();
            throw;
        }
    }

    /// <summary>Decodes the first frame of an opened image (GIF and animated WebP: the others are never decoded).</summary>
    internal static RgbImage DecodeFirstFrame(SKCodec codec, ImageHeader header)
    {
        var info = new SKImageInfo(header.StoredWidth, header.StoredHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var length = checked(info.BytesSize);
        // The RGBA staging buffer of a large photo is native and freed at once: rented from the shared pool it stayed
        // there after the request (a 39.7-MP PNG took a 256-MB array, rounded up to the pool's next power of two).
        using var native = length > RgbImage.PooledLimitBytes ? new NativeBuffer(length) : null;
        var pooled = native is null ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            var rgba = native is not null ? native.Span : pooled.AsSpan(0, length);
            SKCodecResult result;
            unsafe
            {
                fixed (byte* pointer = rgba)
                {
                    result = codec.GetPixels(info, (IntPtr)pointer, new SKCodecOptions(0));
                }
            }

            if (result != SKCodecResult.Success)
            {
                throw new ImageRejectedException(ImageErrorCode.Corrupt, $"The {header.Format} data could not be decoded ({result}).");
            }

            return ToOrientedRgb(rgba, header.StoredWidth, header.StoredHeight, header.Orientation);
        }
        finally
        {
            if (pooled is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(pooled);
            }
        }
    }

    /// <summary>
    /// RGBA (unpremultiplied) to RGB with alpha composited over white, then the EXIF orientation applied.
    /// </summary>
    internal static RgbImage ToOrientedRgb(ReadOnlySpan<byte> rgba, int width, int height, int orientation)
    {
        var swap = orientation >= 5;
        var image = RgbImage.Rent(swap ? height : width, swap ? width : height);
        try
        {
            var output = image.Pixels;
            var outWidth = image.Width;
            if (orientation <= 1)
            {
                // Upright (most photos): row to row, no per-pixel orientation lookup; opaque runs 4 pixels at a time.
                for (var y = 0; y < height; y++)
                {
                    var source = rgba.Slice(y * width * 4, width * 4);
                    var target = output.Slice(y * width * 3, width * 3);
                    var opaque = OpaqueRun(source, target);
                    for (int x = opaque, s = opaque * 4, t = opaque * 3; x < width; x++, s += 4, t += 3)
                    {
                        var alpha = source[s + 3];
                        if (alpha == 255)
                        {
                            target[t] = source[s];
                            target[t + 1] = source[s + 1];
                            target[t + 2] = source[s + 2];
                        }
                        else
                        {
                            var background = 255 * (255 - alpha);
                            target[t] = (byte)(((source[s] * alpha) + background + 127) / 255);
                            target[t + 1] = (byte)(((source[s + 1] * alpha) + background + 127) / 255);
                            target[t + 2] = (byte)(((source[s + 2] * alpha) + background + 127) / 255);
                        }
                    }
                }

                return image;
            }

            for (var y = 0; y < height; y++)
            {
                var row = rgba.Slice(y * width * 4, width * 4);
                for (var x = 0; x < width; x++)
                {
                    var (ox, oy) = Orient(x, y, width, height, orientation);
                    var source = row.Slice(x * 4, 4);
                    var target = output.Slice(((oy * outWidth) + ox) * 3, 3);
                    var alpha = source[3];
                    if (alpha == 255)
                    {
                        target[0] = source[0];
                        target[1] = source[1];
                        target[2] = source[2];
                    }
                    else
                    {
                        var background = 255 * (255 - alpha);
                        target[0] = (byte)(((source[0] * alpha) + background + 127) / 255);
                        target[1] = (byte)(((source[1] * alpha) + background + 127) / 255);
                        target[2] = (byte)(((source[2] * alpha) + background + 127) / 255);
                    }
                }
            }

            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies the leading opaque pixels of an RGBA row as RGB, 4 per step (one byte shuffle), stopping at the first
    /// group with a translucent pixel or where a 16-byte store would pass the row's end; returns the pixels copied.
    /// </summary>
    private static int OpaqueRun(ReadOnlySpan<byte> rgbaRow, Span<byte> rgbRow)
    {
        if (!Vector128.IsHardwareAccelerated)
        {
            return 0;
        }

        var alpha = Vector128.Create(0xFF000000u).AsByte();
        var rgbOfFour = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0xFF, 0xFF, 0xFF, 0xFF);
        var x = 0;
        for (; (x * 4) + 16 <= rgbaRow.Length && (x * 3) + 16 <= rgbRow.Length; x += 4)
        {
            var pixels = Vector128.Create(rgbaRow.Slice(x * 4, 16));
            if (!Vector128.EqualsAll(pixels & alpha, alpha))
            {
                break;
            }

            Vector128.Shuffle(pixels, rgbOfFour).CopyTo(rgbRow[(x * 3)..]);
        }

        return x;
    }

    /// <summary>
    /// Where stored pixel (x, y) lands once EXIF orientation <paramref name="orientation"/> (1–8) is applied.
    /// </summary>
    internal static (int X, int Y) Orient(int x, int y, int width, int height, int orientation) => orientation switch
    {
        2 => (width - 1 - x, y),
        3 => (width - 1 - x, height - 1 - y),
        4 => (x, height - 1 - y),
        5 => (y, x),
        6 => (height - 1 - y, x),
        7 => (height - 1 - y, width - 1 - x),
        8 => (y, width - 1 - x),
        _ => (x, y),
    };

    private static void CheckBytes(int length, ImageLimits limits)
    {
        if (length == 0)
        {
            throw new ImageRejectedException(ImageErrorCode.Empty, "The image has no bytes.");
        }

        if (length > limits.MaxBytes)
        {
            throw new ImageRejectedException(
                ImageErrorCode.TooManyBytes, $"The image has {length} bytes; the limit is {limits.MaxBytes}.");
        }
    }

    private static SKCodec OpenCodec(SKData data)
    {
        // The codec takes ownership of the stream.
        var codec = SKCodec.Create(new SKMemoryStream(data), out var result);
        if (codec is null)
        {
            throw !LooksLikeKnownFormat(data)
                ? new ImageRejectedException(ImageErrorCode.UnsupportedFormat, "The data is not a JPEG, PNG, WebP, BMP or GIF image.")
                : new ImageRejectedException(ImageErrorCode.Corrupt, $"The image header could not be read ({result}).");
        }

        if (codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png or SKEncodedImageFormat.Webp
            or SKEncodedImageFormat.Bmp or SKEncodedImageFormat.Gif or SKEncodedImageFormat.Ico))
        {
            var format = codec.EncodedFormat;
            codec.Dispose();
            throw new ImageRejectedException(ImageErrorCode.UnsupportedFormat, $"{format} images are not supported.");
        }

        return codec;
    }

    private static bool LooksLikeKnownFormat(SKData data)
    {
        var bytes = data.Span;
        return bytes.Length >= 4 && (
            (bytes[0] == 0xFF && bytes[1] == 0xD8) ||
            (bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G') ||
            (bytes[0] == (byte)'G' && bytes[1] == (byte)'I' && bytes[2] == (byte)'F') ||
            (bytes[0] == (byte)'B' && bytes[1] == (byte)'M') ||
            (bytes[0] == (byte)'R' && bytes[1] == (byte)'I' && bytes[2] == (byte)'F' && bytes[3] == (byte)'F'));
    }

    private static ImageHeader HeaderOf(SKCodec codec)
    {
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageRejectedException(ImageErrorCode.Corrupt, "The image header declares no pixels.");
        }

        var orientation = (int)codec.EncodedOrigin;
        if (orientation is < 1 or > 8)
        {
            orientation = 1;
        }

        return new ImageHeader(codec.EncodedFormat.ToString().ToLowerInvariant(), info.Width, info.Height, orientation);
    }
}

/// <summary>What the header of an encoded image says.</summary>
/// <param name="Format">jpeg, png, webp, bmp, gif or ico.</param>
/// <param name="StoredWidth">Width as stored, before orientation.</param>
/// <param name="StoredHeight">Height as stored, before orientation.</param>
/// <param name="Orientation">EXIF orientation 1–8 (1 when absent).</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct ImageHeader(string Format, int StoredWidth, int StoredHeight, int Orientation)
{
    /// <summary>Width once the orientation is applied.</summary>
    public int Width => Orientation >= 5 ? StoredHeight : StoredWidth;

    /// <summary>Height once the orientation is applied.</summary>
    public int Height => Orientation >= 5 ? StoredWidth : StoredHeight;

    /// <summary>Pixels of one frame: what decoding costs (4 bytes each while decoding, 3 once decoded).</summary>
    public long Pixels => (long)StoredWidth * StoredHeight;
}

/// <summary>
/// An image whose header was read and checked but not one pixel decoded (<see cref="ImageDecoder.Open(ReadOnlySpan{byte}, ImageLimits?)"/>): the cost of
/// decoding is known (<see cref="Header"/>) before it is paid.
/// </summary>
public sealed class EncodedImage : IDisposable
{
    private readonly SKData _data;
    private readonly SKCodec _codec;
    private System.Buffers.MemoryHandle _pinned;

    internal EncodedImage(SKData data, SKCodec codec, ImageHeader header, System.Buffers.MemoryHandle pinned)
    {
        _data = data;
        _codec = codec;
        Header = header;
        _pinned = pinned;
    }

    /// <summary>What the header says.</summary>
    public ImageHeader Header { get; }

    /// <summary>Decodes the first frame, EXIF orientation applied.</summary>
    /// <exception cref="ImageRejectedException">The data is broken or truncated.</exception>
    public RgbImage Decode() => ImageDecoder.DecodeFirstFrame(_codec, Header);

    /// <inheritdoc />
    public void Dispose()
    {
        _codec.Dispose();
        _data.Dispose();
        // After Skia let go of the bytes (a default handle, from a copied span, frees nothing).
        _pinned.Dispose();
    }
}
