using Microsoft.Extensions.Options;
using SkiaSharp;

namespace FacePlatform.Gateway.Imaging;

/// <summary>A photo that passed the gate: its bytes and what its header says.</summary>
internal sealed record GatedImage(byte[] Bytes, int Width, int Height, string Format);

/// <summary>
/// Checks a photo before it costs anything downstream: size in bytes, a format we decode (JPEG, PNG, WebP, BMP, GIF),
/// and the pixel count from the header alone — a 100-megapixel bomb is refused without decoding a single row.
/// </summary>
internal sealed class ImageGate(IOptions<ImageLimitsOptions> options)
{
    private static readonly HashSet<SKEncodedImageFormat> Supported =
    [
        SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Png, SKEncodedImageFormat.Webp, SKEncodedImageFormat.Bmp,
        SKEncodedImageFormat.Gif,
    ];

    public ImageLimitsOptions Limits => options.Value;

    public GatedImage Check(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            throw Errors.ApiProblemException.BadRequest("the image is empty");
        }

        if (bytes.LongLength > Limits.MaxImageBytes)
        {
            throw Errors.ApiProblemException.TooLarge(
                $"the image has {bytes.LongLength} bytes; at most {Limits.MaxImageBytes} are accepted");
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            throw Errors.ApiProblemException.Unsupported(
                "the file is not an image we can read (JPEG, PNG, WebP, BMP or GIF), or its header is corrupt");
        }

        if (!Supported.Contains(codec.EncodedFormat))
        {
            throw Errors.ApiProblemException.Unsupported(
                $"{codec.EncodedFormat} images are not supported; send JPEG, PNG, WebP, BMP or GIF");
        }

        var pixels = (long)codec.Info.Width * codec.Info.Height;
        if (pixels > Limits.MaxImagePixels)
        {
            throw Errors.ApiProblemException.TooLarge(
                $"the image is {codec.Info.Width}×{codec.Info.Height} ({pixels / 1_000_000.0:F1} MP); at most {Limits.MaxImagePixels / 1_000_000.0:F0} MP are accepted");
        }

        return new GatedImage(bytes, codec.Info.Width, codec.Info.Height, codec.EncodedFormat.ToString().ToLowerInvariant());
    }
}
