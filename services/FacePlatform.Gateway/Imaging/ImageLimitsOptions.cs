using System.ComponentModel.DataAnnotations;

namespace FacePlatform.Gateway.Imaging;

/// <summary>Limits on photos sent to the public API (section <c>Limits</c>).</summary>
internal sealed class ImageLimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Largest encoded photo in bytes (default 20 MB); larger requests get 413.</summary>
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxImageBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Largest photo in pixels (default 40 MP), read from the header before anything is decoded; 413 above.</summary>
    [Range(1, 1_000_000_000)]
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>
    /// Photo bytes that requests may hold at once in the whole gateway (default 128 MB: six 20-MB photos), taken from
    /// each request's Content-Length before its body is read (JSON: three quarters of it, what its base64 decodes to).
    /// A request that finds no room within <see cref="InFlightWaitMilliseconds"/> gets 429 with Retry-After, so the
    /// gateway's memory is bounded by this and not by body size × concurrency.
    /// </summary>
    [Range(1024 * 1024, 16L * 1024 * 1024 * 1024)]
    public long MaxImageBytesInFlight { get; set; } = 128L * 1024 * 1024;

    /// <summary>
    /// The in-flight budget fits at most half the GC heap the process may use (320 MiB by the gateway's runtimeconfig,
    /// or a <c>DOTNET_GCHeapHardLimit</c> an operator sets), since the photos admitted are live objects of that heap; a
    /// larger budget would turn a burst into out-of-memory failures instead of 429s, so the gateway does not start
    /// with it. 256 MiB was measured too tight while a gRPC photo cost 4.6 times its length; at twice its length
    /// 320 MiB holds (docs/reliability.md, "Met with gRPC too").
    /// </summary>
    public static bool FitsTheHeap(ImageLimitsOptions options) =>
        options.MaxImageBytesInFlight <= GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

    /// <summary>How long a request waits for room in <see cref="MaxImageBytesInFlight"/> before its 429 (default 2 s).</summary>
    [Range(0, 60_000)]
    public int InFlightWaitMilliseconds { get; set; } = 2000;

    /// <summary>
    /// Largest gRPC request message of the public service: two photos (Verify) and 64 KB for the other fields. It is
    /// the gateway's gRPC receive limit, and larger messages are refused from their frame header, before grpc-dotnet
    /// buffers them (see <c>GrpcMessageBudget</c>).
    /// </summary>
    public long MaxGrpcMessageBytes => (2 * MaxImageBytes) + (64 * 1024);

    /// <summary>Most photos in one batch enrolment request.</summary>
    [Range(1, 10_000)]
    public int MaxBatchItems { get; set; } = 100;

    /// <summary>
    /// Most photos in one batch analysis (REST <c>/v1/analyze/batch</c>, gRPC <c>BatchAnalyze</c>). The photos are
    /// analysed one after another, each admitted to <see cref="MaxImageBytesInFlight"/> on its own, so a batch holds
    /// one photo's budget at a time; the bound keeps one call's duration within a client's patience.
    /// </summary>
    [Range(1, 1000)]
    public int MaxAnalyzeBatchItems { get; set; } = 16;
}
