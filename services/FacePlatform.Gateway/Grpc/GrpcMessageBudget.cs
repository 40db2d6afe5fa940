using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Imaging;
using FacePlatform.Gateway.Limits;
using FacePlatform.ServiceDefaults.Grpc;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http.Features;

namespace FacePlatform.Gateway.Grpc;

/// <summary>What the gateway does with a gRPC call, decided from the 5-byte frame header of its message.</summary>
internal enum GrpcFrameVerdict
{
    /// <summary>A small message: grpc-dotnet may buffer it without asking the budget.</summary>
    Small,

    /// <summary>Take <see cref="GrpcFrameDecision.Bytes"/> from the in-flight budget before the message is read.</summary>
    Budget,

    /// <summary>Larger than the largest legitimate message: refused before a byte of it is read.</summary>
    TooLarge,
}

/// <summary>The verdict on a message and the bytes it will hold once buffered.</summary>
internal readonly record struct GrpcFrameDecision(GrpcFrameVerdict Verdict, long Bytes);

/// <summary>The gateway's decision on a gRPC frame (its header: <see cref="GrpcFrameHeader"/>).</summary>
internal static class GrpcFrame
{
    /// <summary>Messages below this are buffered without asking the budget: every non-photo call is this small.</summary>
    public const long SmallMessageBytes = 64 * 1024;

    /// <summary>
    /// Over <paramref name="maxMessageBytes"/> is refused; a compressed message may inflate up to
    /// <paramref name="maxMessageBytes"/> (grpc-dotnet's receive limit applies to the decompressed size), so it takes
    /// that whatever its length — a 40-KB gzip of zeros is a 40-MB message; otherwise the length itself, unless small.
    /// </summary>
    public static GrpcFrameDecision Decide(bool compressed, long length, long maxMessageBytes) =>
        length > maxMessageBytes ? new(GrpcFrameVerdict.TooLarge, length)
        : compressed ? new(GrpcFrameVerdict.Budget, MemoryFactor * maxMessageBytes)
        : length < SmallMessageBytes ? new(GrpcFrameVerdict.Small, length)
        : new(GrpcFrameVerdict.Budget, MemoryFactor * length);

    /// <summary>
    /// Bytes of memory one admitted message byte may hold in the gateway, counted per photo: the message as received
    /// (<see cref="ReceivedMessageReader"/>, until parsed) and the parsed photo — twice its length; the request to the
    /// embedding service is streamed from the message in 64-KB chunks (<c>LargeRequestStreaming</c>), where gRPC's
    /// client made a serialized copy for its retry policy and a 32-MiB pooled buffer more (4.6 times a 20-MB photo in
    /// all). Kept at 5 rather than 2: what the GC has committed runs ahead of what is live (large-object-heap garbage
    /// waits for a full collection), and at 5 one photo-sized message is admitted at a time (a two-photo Verify takes
    /// the whole 128-MB budget), which is what the measured peaks (docs/reliability.md) were taken with.
    /// </summary>
    public const int MemoryFactor = 5;
}

/// <summary>
/// Bounds the memory of the gateway's gRPC calls as <see cref="ImageGate.AdmitAsync"/> bounds REST bodies: grpc-dotnet
/// buffers each whole request message before a handler sees it, so before it reads one this middleware peeks at the
/// frame header (without consuming it), refuses a message larger than two photos and the other fields
/// (<see cref="ImageLimitsOptions.MaxGrpcMessageBytes"/>, INVALID_ARGUMENT as for an over-size photo), and takes the
/// message's bytes from the same in-flight budget as REST, released when the call completes; no room in time is
/// RESOURCE_EXHAUSTED with the retry time, as the REST 429. Runs after authentication and rate limiting, so a refused
/// caller never holds the budget. Only the first message of a call is metered: every photo-carrying method is unary.
/// Runs before grpc-web's translation, so it sees a grpc-web-text body as sent (see <see cref="FirstFrameAsync"/>).
/// </summary>
internal sealed class GrpcMessageBudget(RequestDelegate next, ImageGate gate)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is null)
        {
            await next(http);
            return;
        }

        // grpc-dotnet lifts Kestrel's body-size limit for gRPC (a message has its own limit) but can only do so before
        // the body is read; we read first, so lift it here, as it would (else every call logs that it could not).
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        if (await FirstFrameAsync(http) is { } header)
        {
            var maxMessageBytes = gate.Limits.MaxGrpcMessageBytes;
            var decision = GrpcFrame.Decide(header.Compressed, header.Length, maxMessageBytes);
            if (decision.Verdict == GrpcFrameVerdict.TooLarge)
            {
                var tooLarge = ApiProblemException.TooLarge(
                    $"the message has {header.Length} bytes; at most {maxMessageBytes} are accepted (two photos of at most {gate.Limits.MaxImageBytes} bytes and the other fields)");
                GrpcTrailersOnly.Write(http, tooLarge.GrpcStatus, tooLarge.Message);
                return;
            }

            if (decision.Verdict == GrpcFrameVerdict.Budget)
            {
                try
                {
                    http.Response.RegisterForDispose(await gate.AdmitAsync(decision.Bytes, json: false, http.RequestAborted));
                }
                catch (ApiProblemException busy) when (busy.HttpStatus == StatusCodes.Status429TooManyRequests)
                {
                    // As the REST 429 of the same budget: the photos in flight finish within seconds.
                    await TooManyRequests.WriteAsync(http, TimeSpan.FromSeconds(1), busy.Message);
                    return;
                }

                // Admitted: receive the message into an array of its size rather than into Kestrel's pool (see there).
                // Not a grpc-web-text body: its frames are base64 that grpc-web's translation decodes after this
                // runs, and a body replaced under it left the call waiting until its deadline, holding the budget.
                if (!IsWebText(http))
                {
                    var received = await ReceivedMessageReader.ReceiveAsync(
                        http.Request.BodyReader, GrpcFrameHeader.HeaderBytes + header.Length, http.RequestAborted);
                    received.ReplaceBodyOf(http);
                }
            }
        }

        await next(http);
    }

    /// <summary>
    /// The first frame's header. grpc-web-text (browsers) sends its frames in base64, which cannot be peeked without
    /// decoding them: ¾ of its Content-Length stands in for the message length, and a body streamed without one is
    /// charged the whole message limit, as a compressed message is. Binary grpc-web frames are gRPC's own.
    /// </summary>
    private static async Task<(bool Compressed, long Length)?> FirstFrameAsync(HttpContext http)
    {
        if (IsWebText(http))
        {
            return http.Request.ContentLength is { } length ? (false, Math.Max(0, (length * 3 / 4) - GrpcFrameHeader.HeaderBytes)) : (true, 0);
        }

        return await GrpcFrameHeader.PeekHeaderAsync(http.Request.BodyReader, http.RequestAborted);
    }

    private static bool IsWebText(HttpContext http) =>
        http.Request.ContentType?.StartsWith("application/grpc-web-text", StringComparison.OrdinalIgnoreCase) == true;
}

/// <summary>Wiring of <see cref="GrpcMessageBudget"/>.</summary>
internal static class GrpcMessageBudgetExtensions
{
    public static IApplicationBuilder UseGrpcMessageBudget(this IApplicationBuilder app) => app.UseMiddleware<GrpcMessageBudget>();
}
