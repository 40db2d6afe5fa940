using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FacePlatform.Vision.Geometry;
using FacePlatform.Vision.Imaging;

namespace FacePlatform.Vision.Tensors;

/// <summary>What an axis-aligned resample does with coordinates outside the source.</summary>
public enum EdgeMode
{
    /// <summary>Neighbours are clamped to the last row/column (TensorFlow <c>resizeBilinear</c>).</summary>
    Clamp,

    /// <summary>Samples outside <c>[0, size − 1]</c> are 0 (TensorFlow <c>cropAndResize</c>, letterbox padding).</summary>
    Zero,
}

/// <summary>
/// Bilinear sampling of RGB images straight into NHWC float tensors (or into RGB crops), with the model's
/// normalisation applied on the way. The axis-aligned path reproduces TensorFlow's legacy <c>resizeBilinear</c>
/// (<c>alignCorners=false, halfPixelCenters=false</c>) and <c>cropAndResize</c> bit for bit: coordinates, neighbours and
/// lerps are float32 in TensorFlow's order (PREPROCESSING.md §2), which the reference-parity tests check.
/// </summary>
public static class ImageSampler
{
    private const float RedWeight = 0.2989f;
    private const float GreenWeight = 0.5870f;
    private const float BlueWeight = 0.1140f;

    /// <summary>
    /// Output pixel (row i, column j) samples the source at <c>(x0 + j·sx, y0 + i·sy)</c>, for an RGB image.
    /// </summary>
    public static void ResampleAxisAligned(
        RgbImage source, float x0, float sx, float y0, float sy, int outWidth, int outHeight, EdgeMode edge, PixelFormat format, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ResampleAxisAligned<byte>(source.Pixels, source.Width, source.Height, x0, sx, y0, sy, outWidth, outHeight, edge, format, destination);
    }

    /// <summary>The same on an HWC float image with 3 channels (the reference's 0..1 crop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ResampleAxisAligned<T>(
        ReadOnlySpan<T> source, int width, int height, float x0, float sx, float y0, float sy, int outWidth, int outHeight, EdgeMode edge, PixelFormat format, Span<float> destination)
        where T : unmanaged, INumberBase<T>
    {
        var channels = format.Channels;
        if (destination.Length < outWidth * outHeight * channels)
        {
            throw new ArgumentException("The destination is smaller than the output.", nameof(destination));
        }

        Span<int> left = outWidth <= 1024 ? stackalloc int[outWidth] : new int[outWidth];
        Span<int> right = outWidth <= 1024 ? stackalloc int[outWidth] : new int[outWidth];
        Span<float> lerpX = outWidth <= 1024 ? stackalloc float[outWidth] : new float[outWidth];
        Span<bool> insideX = outWidth <= 1024 ? stackalloc bool[outWidth] : new bool[outWidth];
        for (var j = 0; j < outWidth; j++)
        {
            var x = x0 + (j * sx);
            (left[j], right[j], lerpX[j], insideX[j]) = Neighbours(x, width, edge);
        }

        var stride = width * 3;
        for (var i = 0; i < outHeight; i++)
        {
            var y = y0 + (i * sy);
            var (top, bottom, ly, insideY) = Neighbours(y, height, edge);
            var row = destination.Slice(i * outWidth * channels, outWidth * channels);
            if (!insideY)
            {
                FillZero(row, format);
                continue;
            }

            // Neighbour indices come from Neighbours (clamped into the row) and the row holds outWidth × channels
            // floats: the reads and writes below stay inside without per-element checks.
            ref var topRow = ref MemoryMarshal.GetReference(source.Slice(top * stride, stride));
            ref var bottomRow = ref MemoryMarshal.GetReference(source.Slice(bottom * stride, stride));
            ref var target = ref MemoryMarshal.GetReference(row);
            for (var j = 0; j < outWidth; j++)
            {
                if (!insideX[j])
                {
                    FillZero(row.Slice(j * channels, channels), format);
                    continue;
                }

                var l = left[j] * 3;
                var r = right[j] * 3;
                var lx = lerpX[j];
                var red = Lerp2(
                    float.CreateTruncating(Unsafe.Add(ref topRow, l)), float.CreateTruncating(Unsafe.Add(ref topRow, r)),
                    float.CreateTruncating(Unsafe.Add(ref bottomRow, l)), float.CreateTruncating(Unsafe.Add(ref bottomRow, r)), lx, ly);
                var green = Lerp2(
                    float.CreateTruncating(Unsafe.Add(ref topRow, l + 1)), float.CreateTruncating(Unsafe.Add(ref topRow, r + 1)),
                    float.CreateTruncating(Unsafe.Add(ref bottomRow, l + 1)), float.CreateTruncating(Unsafe.Add(ref bottomRow, r + 1)), lx, ly);
                var blue = Lerp2(
                    float.CreateTruncating(Unsafe.Add(ref topRow, l + 2)), float.CreateTruncating(Unsafe.Add(ref topRow, r + 2)),
                    float.CreateTruncating(Unsafe.Add(ref bottomRow, l + 2)), float.CreateTruncating(Unsafe.Add(ref bottomRow, r + 2)), lx, ly);
                Write(ref Unsafe.Add(ref target, j * channels), red, green, blue, format);
            }
        }
    }

    /// <summary>
    /// Output pixel (j, i) samples the source at <c>outputToSource(j, i)</c>, bilinear with zeros outside. When the
    /// transform shrinks by more than 1.5×, each output pixel averages n×n bilinear samples over its footprint, so
    /// a large face is not aliased into the crop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Warp(RgbImage source, SimilarityTransform outputToSource, int outWidth, int outHeight, PixelFormat format, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        var channels = format.Channels;
        if (destination.Length < outWidth * outHeight * channels)
        {
            throw new ArgumentException("The destination is smaller than the output.", nameof(destination));
        }

        var pixels = source.Pixels;
        var n = SupersamplingOf(outputToSource);
        Span<float> offsets = stackalloc float[n];
        SubsampleOffsets(offsets);
        for (var i = 0; i < outHeight; i++)
        {
            for (var j = 0; j < outWidth; j++)
            {
                var (r, g, b) = SampleFootprint(pixels, source.Width, source.Height, outputToSource, j, i, offsets);
                Write(destination.Slice(((i * outWidth) + j) * channels, channels), r, g, b, format);
            }
        }
    }

    /// <summary>The same warp into a new RGB crop (values rounded to bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RgbImage WarpToImage(RgbImage source, SimilarityTransform outputToSource, int outWidth, int outHeight)
    {
        ArgumentNullException.ThrowIfNull(source);
        var crop = RgbImage.Rent(outWidth, outHeight);
        var pixels = source.Pixels;
        var output = crop.Pixels;
        var n = SupersamplingOf(outputToSource);
        Span<float> offsets = stackalloc float[n];
        SubsampleOffsets(offsets);
        for (var i = 0; i < outHeight; i++)
        {
            for (var j = 0; j < outWidth; j++)
            {
                var (r, g, b) = SampleFootprint(pixels, source.Width, source.Height, outputToSource, j, i, offsets);
                var offset = ((i * outWidth) + j) * 3;
                output[offset] = (byte)Math.Clamp(MathF.Round(r), 0, 255);
                output[offset + 1] = (byte)Math.Clamp(MathF.Round(g), 0, 255);
                output[offset + 2] = (byte)Math.Clamp(MathF.Round(b), 0, 255);
            }
        }

        return crop;
    }

    private static int SupersamplingOf(SimilarityTransform transform) =>
        Math.Clamp((int)MathF.Ceiling(transform.Scale / 1.5f), 1, 4);

    /// <summary>Where the n×n samples of a footprint lie, per axis, relative to the output pixel's centre.</summary>
    private static void SubsampleOffsets(Span<float> offsets)
    {
        var n = offsets.Length;
        for (var k = 0; k < n; k++)
        {
            offsets[k] = ((k + 0.5f) / n) - 0.5f;
        }
    }

    // The samples come back as values, the offsets are computed once per warp, and inside the image the four
    // neighbours are read through a reference without bounds checks (the check is the one below). A 224² crop with
    // 2×2 samples per pixel took 11.3 ms before (docs/benchmarks.md); the arithmetic and its order are unchanged.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float R, float G, float B) SampleFootprint(
        ReadOnlySpan<byte> pixels, int width, int height, SimilarityTransform t, int j, int i, ReadOnlySpan<float> offsets)
    {
        var n = offsets.Length;
        if (n == 1)
        {
            return Bilinear(pixels, width, height, (t.A * j) - (t.B * i) + t.Tx, (t.B * j) + (t.A * i) + t.Ty);
        }

        float r = 0, g = 0, b = 0;
        for (var a = 0; a < n; a++)
        {
            var v = i + offsets[a];
            for (var c = 0; c < n; c++)
            {
                var u = j + offsets[c];
                var sample = Bilinear(pixels, width, height, (t.A * u) - (t.B * v) + t.Tx, (t.B * u) + (t.A * v) + t.Ty);
                r += sample.R;
                g += sample.G;
                b += sample.B;
            }
        }

        var inverse = 1f / (n * n);
        return (r * inverse, g * inverse, b * inverse);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float R, float G, float B) Bilinear(ReadOnlySpan<byte> pixels, int width, int height, float x, float y)
    {
        var x0 = (int)MathF.Floor(x);
        var y0 = (int)MathF.Floor(y);
        var fx = x - x0;
        var fy = y - y0;
        if ((uint)x0 < (uint)(width - 1) && (uint)y0 < (uint)(height - 1))
        {
            // All four neighbours inside (checked just above): read them without further bounds checks.
            ref var top = ref Unsafe.Add(ref MemoryMarshal.GetReference(pixels), ((y0 * width) + x0) * 3);
            ref var bottom = ref Unsafe.Add(ref top, width * 3);
            return (
                Lerp2(top, Unsafe.Add(ref top, 3), bottom, Unsafe.Add(ref bottom, 3), fx, fy),
                Lerp2(Unsafe.Add(ref top, 1), Unsafe.Add(ref top, 4), Unsafe.Add(ref bottom, 1), Unsafe.Add(ref bottom, 4), fx, fy),
                Lerp2(Unsafe.Add(ref top, 2), Unsafe.Add(ref top, 5), Unsafe.Add(ref bottom, 2), Unsafe.Add(ref bottom, 5), fx, fy));
        }

        return (
            AtEdge(pixels, width, height, x0, y0, fx, fy, 0),
            AtEdge(pixels, width, height, x0, y0, fx, fy, 1),
            AtEdge(pixels, width, height, x0, y0, fx, fy, 2));
    }

    /// <summary>One channel where some neighbours are outside the image (read as 0).</summary>
    private static float AtEdge(ReadOnlySpan<byte> pixels, int width, int height, int x0, int y0, float fx, float fy, int c) => Lerp2(
        Pixel(pixels, width, height, x0, y0, c), Pixel(pixels, width, height, x0 + 1, y0, c),
        Pixel(pixels, width, height, x0, y0 + 1, c), Pixel(pixels, width, height, x0 + 1, y0 + 1, c), fx, fy);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Lerp2(float tl, float tr, float bl, float br, float fx, float fy)
    {
        var t = tl + ((tr - tl) * fx);
        var b = bl + ((br - bl) * fx);
        return t + ((b - t) * fy);
    }

    private static float Pixel(ReadOnlySpan<byte> pixels, int width, int height, int x, int y, int c) =>
        (uint)x < (uint)width && (uint)y < (uint)height ? pixels[(((y * width) + x) * 3) + c] : 0f;

    private static (int Low, int High, float Lerp, bool Inside) Neighbours(float position, int size, EdgeMode edge)
    {
        if (edge == EdgeMode.Zero && (position < 0 || position > size - 1))
        {
            return (0, 0, 0, false);
        }

        var low = (int)MathF.Floor(position);
        var high = (int)MathF.Ceiling(position);
        var lerp = position - low;
        low = Math.Clamp(low, 0, size - 1);
        high = Math.Clamp(high, 0, size - 1);
        return (low, high, lerp, true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(ref float target, float r, float g, float b, PixelFormat format)
    {
        if (format.Grey)
        {
            target = (((RedWeight * r) + (GreenWeight * g) + (BlueWeight * b)) * format.Scale) + format.Offset;
            return;
        }

        target = (r * format.Scale) + format.Offset;
        Unsafe.Add(ref target, 1) = (g * format.Scale) + format.Offset;
        Unsafe.Add(ref target, 2) = (b * format.Scale) + format.Offset;
    }

    private static void Write(Span<float> target, float r, float g, float b, PixelFormat format) =>
        Write(ref MemoryMarshal.GetReference(target[..format.Channels]), r, g, b, format);

    private static void FillZero(Span<float> target, PixelFormat format)
    {
        // A zero pixel (black) normalised like any other.
        target.Fill(format.Offset);
    }
}
