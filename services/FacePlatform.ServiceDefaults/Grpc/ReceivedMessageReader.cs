using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FacePlatform.ServiceDefaults.Grpc;

/// <summary>
/// A request body whose first gRPC message has already been received into one array of its own size: grpc-dotnet reads
/// that array, then whatever the connection still brings (the end of the body, or bytes after the message, which it
/// judges as before). The array is let go as soon as it has been consumed, so it lives from receipt to parsing.
/// </summary>
/// <remarks>
/// Why: grpc-dotnet waits until a whole message is in Kestrel's pipe before it parses it, so a 20-MB message held
/// 5,120 of Kestrel's 4-KB pinned blocks; the pool keeps every block it ever lent and gives back 5 % of them per
/// 10 s when idle, so after sixteen clients sent photo-sized messages the gateway kept 90 MB of pinned blocks
/// (docs/reliability.md, "gRPC messages"), and the embedding service 42 MB of pinned heap after one two-photo Verify
/// ("Met with gRPC too"). Copied out as they arrive, the blocks go back at once and Kestrel needs
/// only a flow-control window's worth per stream.
/// </remarks>
public sealed class ReceivedMessageReader(byte[] received, int length, bool bodyEnded, PipeReader rest) : PipeReader
{
    private byte[]? _received = received;
    private int _consumed;

    /// <summary>
    /// Reads the first <paramref name="messageBytes"/> bytes of <paramref name="body"/> (the frame header and its
    /// message, not consumed before) into an array of that size; fewer when the body ends first.
    /// </summary>
    public static async Task<ReceivedMessageReader> ReceiveAsync(PipeReader body, long messageBytes, CancellationToken cancellationToken)
    {
        var received = GC.AllocateUninitializedArray<byte>(checked((int)messageBytes));
        var length = 0;
        while (length < received.Length)
        {
            var result = await body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var take = (int)Math.Min(buffer.Length, received.Length - length);
            buffer.Slice(0, take).CopyTo(received.AsSpan(length));
            length += take;
            body.AdvanceTo(buffer.GetPosition(take));
            if (length < received.Length && (result.IsCompleted || result.IsCanceled))
            {
                // A truncated message: grpc-dotnet gets what came and the end of the body, and answers it as before.
                return new ReceivedMessageReader(received, length, bodyEnded: true, body);
            }
        }

        return new ReceivedMessageReader(received, length, bodyEnded: false, body);
    }

    private ReadResult Received(byte[] received) =>
        new(new ReadOnlySequence<byte>(received, _consumed, length - _consumed), isCanceled: false, isCompleted: bodyEnded);

    /// <inheritdoc />
    public override bool TryRead(out ReadResult result)
    {
        if (_received is { } received)
        {
            result = Received(received);
            return true;
        }

        return rest.TryRead(out result);
    }

    /// <inheritdoc />
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        _received is { } received ? ValueTask.FromResult(Received(received)) : rest.ReadAsync(cancellationToken);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_received is null)
        {
            rest.AdvanceTo(consumed, examined);
            return;
        }

        // Positions of a single-array sequence are offsets into that array (the top bit is a flag of the end).
        _consumed = consumed.GetInteger() & int.MaxValue;
        if (_consumed >= length)
        {
            _received = null;
        }
    }

    /// <inheritdoc />
    public override void CancelPendingRead() => rest.CancelPendingRead();

    /// <inheritdoc />
    public override void Complete(Exception? exception = null)
    {
        _received = null;
        rest.Complete(exception);
    }

    /// <summary>Makes this the request body that the rest of the pipeline, grpc-dotnet included, reads.</summary>
    public void ReplaceBodyOf(HttpContext http) => http.Features.Set<IRequestBodyPipeFeature>(new Feature(this));

    private sealed class Feature(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader { get; } = reader;
    }
}
