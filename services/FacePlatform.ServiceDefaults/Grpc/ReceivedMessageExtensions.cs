using Microsoft.AspNetCore.Builder;

namespace FacePlatform.ServiceDefaults.Grpc;

/// <summary>Receives large gRPC messages into arrays of their own size (<see cref="ReceivedMessageReader"/>).</summary>
public static class ReceivedMessageExtensions
{
    /// <summary>
    /// For a gRPC call (binary framing) whose first message has at least <paramref name="minBytes"/> and at most
    /// <paramref name="maxBytes"/> bytes, receives that message into an array of its own before grpc-dotnet reads it,
    /// instead of into Kestrel's pinned blocks. A larger message is left to grpc-dotnet, which refuses it unread.
    /// The gateway does this inside its message budget (GrpcMessageBudget), after admitting the message.
    /// </summary>
    public static IApplicationBuilder UseReceivedMessages(this IApplicationBuilder app, long minBytes, long maxBytes) =>
        app.Use(async (http, next) =>
        {
            var contentType = http.Request.ContentType;
            if (contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
                && !contentType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase)
                && await GrpcFrameHeader.PeekHeaderAsync(http.Request.BodyReader, http.RequestAborted) is { } header
                && header.Length >= minBytes && header.Length <= maxBytes)
            {
                var received = await ReceivedMessageReader.ReceiveAsync(
                    http.Request.BodyReader, GrpcFrameHeader.HeaderBytes + header.Length, http.RequestAborted);
                received.ReplaceBodyOf(http);
            }

            await next(http);
        });
}
