using System.Runtime.InteropServices;
using FacePlatform.ServiceDefaults.Hosting;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace FacePlatform.Gateway.Imaging;

/// <summary>A photo that passed the gate: its bytes and what its header says.</summary>
internal sealed record GatedImage(byte[] Bytes, int Width, int Height, string Format)
{
    /// <summary>
    /// The photo's bytes as a message field, not copied: nothing writes to a gated photo, and a 20-MB copy per call to
    /// the embedding service was one more large-object-heap array per photo in flight.
    /// </summary>
    public static Google.Protobuf.ByteString Wrap(GatedImage image) => Google.Protobuf.UnsafeByteOperations.UnsafeWrap(image.Bytes);
}

/// <summary>
/// Checks a photo before it costs anything downstream: size in bytes, a format we decode (JPEG, PNG, WebP, BMP, GIF),
/// and the pixel count from the header alone — a 100-megapixel bomb is refused without decoding a single row.
/// </summary>
internal sealed class ImageGate
{
    private static readonly HashSet<SKEncodedImageFormat> Supported =
    [
        SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Png, SKEncodedImageFormat.Webp, SKEncodedImageFormat.Bmp,
        SKEncodedImageFormat.Gif,
    ];

    // Photo bytes received after which the gate, once idle, runs a full collection (IdleCollection): at most one per
    // 256 MB received.
    private const long CollectAfterBytes = 256L * 1024 * 1024;
    private readonly IOptions<ImageLimitsOptions> _options;
    private readonly InFlightBudget _inFlight;
    private readonly IdleCollection _collection;

    public ImageGate(IOptions<ImageLimitsOptions> options)
    {
        _options = options;
        _inFlight = new(options.Value.MaxImageBytesInFlight);
        _collection = new(_inFlight, CollectAfterBytes);
    }

    public ImageLimitsOptions Limits => _options.Value;

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
        var bytes = Math.Min(contentLength is { } length ? (json ? length / 4 * 3 : length) : Limits.MaxImageBytes, _inFlight.Capacity);
        try
        {
            var lease = await _inFlight.AcquireAsync(bytes, TimeSpan.FromMilliseconds(Limits.InFlightWaitMilliseconds), cancellationToken);
            return _collection.Track(lease, bytes);
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

        // The header is read from the photo where it lies (pinned while Skia looks at it), not from a native copy: a
        // 20-MB copy per photo went through glibc's malloc, whose arenas may keep freed memory (after photo-sized gRPC
        // messages the gateway's resident memory was ~270 MB above its GC's committed memory, ~140 MB before; this
        // copy's share was not measured on its own).
        var pinned = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        try
        {
            return Check(bytes, pinned.AddrOfPinnedObject());
        }
        finally
        {
            pinned.Free();
        }
    }

    private GatedImage Check(byte[] bytes, IntPtr address)
    {
        using var data = SKData.Create(address, bytes.Length);
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
