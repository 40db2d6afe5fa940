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
internal sealed class ImageGate(IOptions<ImageLimitsOptions> options)
{
    private static readonly HashSet<SKEncodedImageFormat> Supported =
    [
        SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Png, SKEncodedImageFormat.Webp, SKEncodedImageFormat.Bmp,
        SKEncodedImageFormat.Gif,
    ];

    // Photo bytes received since the last collection the gate asked for; see Collected.
    private const long CollectAfterBytes = 256L * 1024 * 1024;
    private readonly InFlightBudget _inFlight = new(options.Value.MaxImageBytesInFlight);
    private long _admittedSinceCollection;
    private int _poolCollectionScheduled;

    /// <summary>
    /// Wait before the collection that returns the shared array pool's idle buffers: a little over the 30 s the pool
    /// waits between the full collection that first sees a buffer unused and the one that lets it go.
    /// </summary>
    private static readonly TimeSpan PoolTrimDelay = TimeSpan.FromSeconds(32);

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
        var bytes = Math.Min(contentLength is { } length ? (json ? length / 4 * 3 : length) : Limits.MaxImageBytes, _inFlight.Capacity);
        try
        {
            var lease = await _inFlight.AcquireAsync(bytes, TimeSpan.FromMilliseconds(Limits.InFlightWaitMilliseconds), cancellationToken);
            Interlocked.Add(ref _admittedSinceCollection, bytes);
            return new CollectingLease(this, lease);
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

    /// <summary>
    /// Photos are large-object-heap arrays: once a burst of them is garbage, only a full collection gives the memory
    /// back, and a gateway serving small requests afterwards may not run one for a long time (measured: 136 MB before
    /// sixteen hostile clients, 300 MB thirty seconds after, with workstation and server GC alike). So when the gate
    /// goes idle after at least <see cref="CollectAfterBytes"/> of photos, it runs a full collection that compacts the
    /// large object heap once (a few tens of milliseconds on a heap of small live data): at most one per 256 MB received, never while photos are in flight.
    /// </summary>
    private void Collected()
    {
        if (_inFlight.InFlight != 0 || Interlocked.Read(ref _admittedSinceCollection) < CollectAfterBytes
            || Interlocked.Exchange(ref _admittedSinceCollection, 0) < CollectAfterBytes)
        {
            return;
        }

        CollectCompacting();
        if (Interlocked.Exchange(ref _poolCollectionScheduled, 1) == 0)
        {
            _ = CollectWhatPoolsLetGoAsync();
        }
    }

    /// <summary>
    /// The shared array pool keeps large buffers it lent: gRPC's client serialized each photo-sized request to the
    /// embedding service into one (32 MiB for a 20-MB photo, one per thread that returned one: 4-7 of them, 130-220 MB
    /// of the gateway's large object heap after sixteen clients sent photo-sized gRPC messages) until those requests
    /// were streamed (<c>LargeRequestStreaming</c>); smaller photos still go that way. Unless memory is scarce it
    /// lets such a buffer go only when a full collection finds it unused for 30 s since the collection before; the
    /// collection that frees it comes after that. An idle gateway runs none, so this one runs them:
    /// <see cref="PoolTrimDelay"/> after the collection of <see cref="Collected"/>, once no photo is in flight.
    /// </summary>
    private async Task CollectWhatPoolsLetGoAsync()
    {
        try
        {
            await Task.Delay(PoolTrimDelay);
            while (_inFlight.InFlight != 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            CollectCompacting();
            // The pool trims on the finalizer thread after a full collection; the next collection takes what it let go.
            GC.WaitForPendingFinalizers();
            CollectCompacting();
        }
        finally
        {
            Volatile.Write(ref _poolCollectionScheduled, 0);
        }
    }

    private static void CollectCompacting()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private sealed class CollectingLease(ImageGate gate, IDisposable lease) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lease.Dispose();
                gate.Collected();
            }
        }
    }
}
