using System.Buffers.Binary;
using System.Security.Cryptography;
using FacePlatform.Testing;
using FacePlatform.Vision.Imaging;
using SkiaSharp;

namespace FacePlatform.Vision.Tests;

public sealed class ImageDecoderTests
{
    [Fact]
    public void Sample_photos_decode_to_the_reference_pixels()
    {
        // reference-output.sharp.json records the SHA-256 of the RGB24 pixels sharp (= SkiaSharp) decoded.
        foreach (var record in Reference.Images)
        {
            var file = Path.Combine(Reference.SampleImages, record.GetProperty("file").GetString()!);
            using var image = ImageDecoder.Decode(File.ReadAllBytes(file));
            Assert.Equal(record.GetProperty("width").GetInt32(), image.Width);
            Assert.Equal(record.GetProperty("height").GetInt32(), image.Height);
            Assert.Equal(record.GetProperty("decodedRgbSha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(image.Pixels)));
        }
    }

    [Fact]
    public void A_100_megapixel_header_is_refused_before_decoding()
    {
        var png = PixelBomb.Png(10_000, 10_000);
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(png));
        Assert.Equal(ImageErrorCode.TooManyPixels, error.Code);
        var header = ImageDecoder.ReadHeader(png);
        Assert.Equal(10_000, header.Width);
    }

    [Fact]
    public void Too_many_bytes_empty_and_unknown_data_are_refused()
    {
        Assert.Equal(ImageErrorCode.TooManyBytes, Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(new byte[2048], new ImageLimits { MaxBytes = 1024 })).Code);
        Assert.Equal(ImageErrorCode.Empty, Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode([])).Code);
        Assert.Equal(ImageErrorCode.UnsupportedFormat, Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode("not an image at all"u8)).Code);
    }

    [Fact]
    public void A_truncated_jpeg_is_corrupt()
    {
        var jpeg = Encode(Gradient(64, 48), SKEncodedImageFormat.Jpeg);
        Assert.Equal(ImageErrorCode.Corrupt, Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(jpeg.AsSpan(0, jpeg.Length / 2))).Code);
    }

    [Theory]
    [InlineData(1, 64, 48)]
    [InlineData(3, 64, 48)]
    [InlineData(6, 48, 64)]
    [InlineData(8, 48, 64)]
    public void Exif_orientation_is_applied(int orientation, int width, int height)
    {
        using var bitmap = new SKBitmap(64, 48, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        bitmap.Erase(SKColors.Black);
        // A white block in the stored top-left corner.
        for (var y = 0; y < 12; y++)
        {
            for (var x = 0; x < 16; x++)
            {
                bitmap.SetPixel(x, y, SKColors.White);
            }
        }

        var jpeg = WithExifOrientation(Encode(bitmap, SKEncodedImageFormat.Jpeg), orientation);
        using var image = ImageDecoder.Decode(jpeg);
        Assert.Equal(width, image.Width);
        Assert.Equal(height, image.Height);
        var (cx, cy) = ImageDecoder.Orient(4, 4, 64, 48, orientation);
        Assert.True(image.Pixels[((cy * image.Width) + cx) * 3] > 200, "the white corner moved with the orientation");
    }

    [Fact]
    public void Orientations_map_corners_like_the_exif_specification()
    {
        // Stored top-left pixel lands: 1 top-left, 3 bottom-right, 6 top-right (rotated 90° clockwise), 8 bottom-left.
        Assert.Equal((0, 0), ImageDecoder.Orient(0, 0, 4, 3, 1));
        Assert.Equal((3, 2), ImageDecoder.Orient(0, 0, 4, 3, 3));
        Assert.Equal((2, 0), ImageDecoder.Orient(0, 0, 4, 3, 6));
        Assert.Equal((0, 3), ImageDecoder.Orient(0, 0, 4, 3, 8));
        Assert.Equal((3, 0), ImageDecoder.Orient(0, 0, 4, 3, 2));
        Assert.Equal((0, 0), ImageDecoder.Orient(0, 0, 4, 3, 5));
    }

    [Fact]
    public void Alpha_is_composited_over_white_and_grey_becomes_rgb()
    {
        using var transparent = new SKBitmap(8, 8, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        transparent.Erase(new SKColor(0, 0, 0, 0));
        using (var image = ImageDecoder.Decode(Encode(transparent, SKEncodedImageFormat.Png)))
        {
            Assert.All(image.ToArray(), b => Assert.Equal(255, b));
        }

        using var grey = new SKBitmap(new SKImageInfo(8, 8, SKColorType.Gray8, SKAlphaType.Opaque));
        grey.Erase(new SKColor(100, 100, 100));
        using (var image = ImageDecoder.Decode(Encode(grey, SKEncodedImageFormat.Png)))
        {
            Assert.All(image.ToArray(), b => Assert.Equal(100, b));
        }
    }

    [Theory]
    [InlineData(37, 0)] // opaque rows: the 4-pixel path up to the row's end, the rest one by one
    [InlineData(37, 0.05)] // translucent pixels here and there: the rest of their row one by one
    [InlineData(3, 0)] // rows narrower than one 16-byte store
    public void Upright_rows_give_each_pixel_its_rgb_over_white(int width, double translucentShare)
    {
        const int height = 6;
        var random = new Random(width + (int)(translucentShare * 100));
        var rgba = new byte[width * height * 4];
        random.NextBytes(rgba);
        for (var p = 0; p < width * height; p++)
        {
            rgba[(p * 4) + 3] = random.NextDouble() < translucentShare ? (byte)random.Next(255) : (byte)255;
        }

        using var image = ImageDecoder.ToOrientedRgb(rgba, width, height, 1);

        var rgb = image.ToArray();
        for (var p = 0; p < width * height; p++)
        {
            var alpha = rgba[(p * 4) + 3];
            for (var c = 0; c < 3; c++)
            {
                // Over white: (value·α + 255·(255 − α)) / 255, rounded.
                var expected = (int)Math.Round(((rgba[(p * 4) + c] * alpha) + (255.0 * (255 - alpha))) / 255, MidpointRounding.AwayFromZero);
                Assert.True(Math.Abs(expected - rgb[(p * 3) + c]) <= 1, $"pixel {p} channel {c}: {rgb[(p * 3) + c]}, expected {expected}");
            }
        }
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Webp)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void Common_formats_decode(SKEncodedImageFormat format)
    {
        using var image = ImageDecoder.Decode(Encode(Gradient(40, 30), format));
        Assert.Equal((40, 30), (image.Width, image.Height));
    }

    private static SKBitmap Gradient(int width, int height)
    {
        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 4), (byte)(y * 5), 128));
            }
        }

        return bitmap;
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment with one Orientation tag after the JPEG's SOI marker.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD at 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, // Orientation, SHORT, count 1, value
            0, 0, 0, 0, // no next IFD
        ];
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }
}
