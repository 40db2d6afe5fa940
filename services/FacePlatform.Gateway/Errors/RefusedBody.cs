using System.Buffers;

namespace FacePlatform.Gateway.Errors;

/// <summary>
/// Reads and discards what is left of an HTTP/1.x request body the gateway refused before reading it all (a 413 at the
/// 20-MB mark of a 40-MB JSON photo, a 429 of the in-flight budget before a byte of it), so that the refusal reaches
/// the client. Otherwise Kestrel drains the rest itself after the answer, but for at most 5 s; a client still sending
/// then gets its connection reset, and a client that sends the whole body before reading the answer (HttpClient) never
/// sees the 413, only the reset (MemoryBoundsTests counted such resets under sixteen hostile clients on a loaded
/// machine). Memory does not grow with the body: it goes through one pooled 16-KB buffer. The body is bounded by
/// Kestrel's MaxRequestBodySize (a larger Content-Length was refused before anything was read) and its minimum data
/// rate, as any body the gateway reads; HTTP/2 refuses one stream, not the connection, so it is left alone.
/// </summary>
internal static class RefusedBody
{
    private const int ChunkBytes = 16 * 1024;

    /// <summary>Discards the rest of <paramref name="context"/>'s request body; stops quietly if it cannot be read.</summary>
    public static async Task DrainAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol))
        {
            return;
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            while (await request.Body.ReadAsync(buffer.AsMemory(0, ChunkBytes), cancellationToken) > 0)
            {
            }
        }
        catch (Exception unreadable) when (unreadable is BadHttpRequestException or IOException or OperationCanceledException
            or InvalidOperationException or ObjectDisposedException)
        {
            // Already failed, too large, aborted, or consumed in a way that cannot be read again (a form the framework
            // read): Kestrel decides about the connection as before.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
