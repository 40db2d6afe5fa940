using FacePlatform.ServiceDefaults.Hosting;
using FacePlatform.Vision.Imaging;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FacePlatform.Embedding.Inference;

/// <summary>
/// Admits photos to decoding: the header is read and checked against the per-photo limits, then the photo's pixels
/// are taken from the process-wide <see cref="DecodeOptions.MaxPixelsInFlight"/> budget, held until the request is done
/// with the decoded image. A photo larger than the whole budget is INVALID_ARGUMENT; no room in time is
/// RESOURCE_EXHAUSTED.
/// </summary>
internal sealed class DecodeGate
{
    private readonly IOptions<DecodeOptions> _options;
    private readonly InFlightBudget _budget;
    private readonly IdleCollection _collection;
    private readonly ImageLimits _limits;

    public DecodeGate(IOptions<DecodeOptions> options)
    {
        _options = options;
        _budget = new(options.Value.MaxPixelsInFlight);
        _limits = options.Value.ToLimits();
        // Once idle after two whole budgets of pixels (96 MP by default: two or three pixel bombs, eight 12-MP photos),
        // the memory of those photos is given back (IdleCollection): their messages, decode buffers and pooled arrays.
        // Measured: after sixteen hostile clients whose 20-MB photo messages reached this service on a quiet machine
        // it stayed 150+ MB above its start for a minute without this (docs/reliability.md, "Met with gRPC too").
        _collection = new(_budget, 2 * options.Value.MaxPixelsInFlight);
    }

    /// <summary>Pixels held by requests now.</summary>
    public long PixelsInFlight => _budget.InFlight;

    /// <summary>Decodes <paramref name="encoded"/> once its pixels fit the budget; dispose the result to give them back.</summary>
    public async Task<AdmittedImage> DecodeAsync(ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken)
    {
        using var opened = ImageDecoder.Open(encoded, _limits);
        var pixels = opened.Header.Pixels;
        if (pixels > _budget.Capacity)
        {
            throw new ImageRejectedException(
                ImageErrorCode.TooManyPixels,
                $"The image is {opened.Header.StoredWidth}x{opened.Header.StoredHeight}; this service decodes at most {_budget.Capacity / 1e6:F1} MP at once.");
        }

        IDisposable lease;
        try
        {
            lease = _collection.Track(
                await _budget.AcquireAsync(pixels, TimeSpan.FromMilliseconds(_options.Value.WaitMilliseconds), cancellationToken), pixels);
        }
        catch (InFlightBudgetExhaustedException)
        {
            throw new RpcException(new Status(
                StatusCode.ResourceExhausted,
                $"busy decoding other photos ({_budget.Capacity / 1e6:F0} MP at once); retry shortly"));
        }

        try
        {
            return new AdmittedImage(opened.Decode(), lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }
}

/// <summary>A decoded photo and its share of the decode budget; Dispose frees both.</summary>
internal sealed class AdmittedImage(RgbImage image, IDisposable lease) : IDisposable
{
    public RgbImage Image { get; } = image;

    public void Dispose()
    {
        Image.Dispose();
        lease.Dispose();
    }
}
