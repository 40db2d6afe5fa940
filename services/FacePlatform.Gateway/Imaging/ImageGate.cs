using FacePlatform.ServiceDefaults.Hosting;
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

    private readonly InFlightBudget _inFlight = new(options.Value.MaxImageBytesInFlight);

    public ImageLimitsOptions Limits => options.Value;

    /// <summary>
    /// Largest JSON body: two photos (verify) of <see cref="ImageLimitsOptions.MaxImageBytes"/> in base64, plus 64 KB
    /// for the other fields; a larger Content-Length is refused before a byte is read.
    /// </summary>
    public long MaxJsonBodyBytes => (2 * ((Limits.MaxImageBytes + 2) / 3 * 4)) + (64 * 1024);

    /// <summary>Photo bytes held by requests now.</summary>
    public long BytesInFlight => _inFlight.InFlight;

    /// <summary>
    /// Takes what a request body of <paramref name="contentLength"/> bytes will hold once read (JSON: its base64
    /// decoded; unknown length: one photo) from the in-flight budget; 429 when there is no room in time.
    /// </summary>
    public async Task<IDisposable> AdmitAsync(long? contentLength, bool json, CancellationToken cancellationToken)
    {
        var bytes = contentLength is { } length ? (json ? length / 4 * 3 : length) : Limits.MaxImageBytes;
        try
        {
            return await _inFlight.AcquireAsync(
                Math.Min(bytes, _inFlight.Capacity), TimeSpan.FromMilliseconds(Limits.InFlightWaitMilliseconds), cancellationToken);
        }
        catch (InFlightBudgetExhaustedException)
        {
            throw new Errors.ApiProblemException(
                StatusCodes.Status429TooManyRequests,
                global::Grpc.Core.StatusCode.ResourceExhausted,
                "Too many requests",
                $"the gateway is busy receiving other photos ({_inFlight.Capacity / (1024 * 1024)} MB at once); retry shortly");
        }
    }

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
