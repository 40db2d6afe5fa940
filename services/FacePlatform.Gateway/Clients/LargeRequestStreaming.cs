using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.Gateway.Clients;

/// <summary>
/// Sends a photo-sized request to an internal service straight from the message, 64 KB at a time, instead of through
/// gRPC's client, which serializes every request whole into an array rented from the shared array pool (32 MiB for a
/// 20-MB photo: the next power of two) and, with a retry policy, copies it once more. The pool keeps such an array in
/// the thread-local slot of every thread that returns one — after sixteen clients sent photo-sized gRPC messages,
/// 4-7 of them, 130-220 MB of the gateway's heap, live until it was idle for 30 s (docs/reliability.md, "gRPC
/// messages") — and the copies were the rest of the 4.6 times its length that an admitted photo cost the gateway.
/// </summary>
/// <remarks>
/// Two parts, because gRPC's client creates the HTTP request itself: <see cref="Interceptor"/> puts a request of at
/// least <see cref="MinimumBytes"/> where <see cref="Handler"/>, in the client's HTTP pipeline, finds it (an async-local
/// slot: the HTTP request is sent from the call's own flow), and the handler replaces gRPC's request body with
/// <see cref="MessageContent"/>. Each attempt of the retry policy goes through the handler again, so retries still
/// work; the slot is emptied when the call ends. Below the threshold nothing changes (gRPC's own path is cheap there
/// and keeps its retry buffer).
/// </remarks>
internal static class LargeRequestStreaming
{
    /// <summary>Requests from this size on are streamed: gRPC's default retry buffer per call (1 MiB).</summary>
    public const int MinimumBytes = 1024 * 1024;

    private const int ChunkBytes = 64 * 1024;

    // Chunks written but not yet sent: bounds the memory of one request to about (this + 1) × 64 KB.
    private const int ChunksAhead = 4;

    private static readonly AsyncLocal<Slot?> Current = new();

    /// <summary>Holds one call's request until the call ends.</summary>
    private sealed class Slot(IMessage message)
    {
        public IMessage? Message = message;
    }

    /// <summary>Marks unary requests of at least <see cref="MinimumBytes"/> to be streamed by <see cref="Handler"/>.</summary>
    public sealed class Interceptor : global::Grpc.Core.Interceptors.Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request,
            ClientInterceptorContext<TRequest, TResponse> context,
            AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            if (request is not IBufferMessage || request is not IMessage message || message.CalculateSize() < MinimumBytes)
            {
                return continuation(request, context);
            }

            var slot = new Slot(message);
            var previous = Current.Value;
            Current.Value = slot;
            try
            {
                var call = continuation(request, context);
                // Emptied when the call ends, so that nothing that captured this flow (a connection started by the
                // call) keeps the photo alive.
                _ = call.ResponseAsync.ContinueWith(static (_, state) => ((Slot)state!).Message = null, slot,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return call;
            }
            finally
            {
                Current.Value = previous;
            }
        }
    }

    /// <summary>Replaces gRPC's body of a marked request with <see cref="MessageContent"/>.</summary>
    public sealed class Handler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Current.Value?.Message is { } message && request.Content is { } grpcContent)
            {
                var content = new MessageContent(message);
                foreach (var header in grpcContent.Headers)
                {
                    content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                request.Content = content;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>
    /// One gRPC frame (uncompressed flag, big-endian length, message) written from <c>message</c>: a thread of its own
    /// serializes it into 64-KB pooled chunks (protobuf writes synchronously) and waits while <see cref="ChunksAhead"/>
    /// are not yet sent; this task sends them.
    /// </summary>
    public sealed class MessageContent(IMessage message) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var header = new byte[5];
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), checked((uint)message.CalculateSize()));
            await stream.WriteAsync(header, cancellationToken);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var chunks = Channel.CreateBounded<(byte[] Chunk, int Length)>(
                new BoundedChannelOptions(ChunksAhead) { SingleReader = true, SingleWriter = true });
            var writer = Task.Factory.StartNew(() =>
            {
                try
                {
                    var serialized = new ChunkWriter(chunks.Writer, stop.Token);
                    message.WriteTo(serialized);
                    serialized.Flush();
                    chunks.Writer.Complete();
                }
                catch (Exception failure)
                {
                    chunks.Writer.Complete(failure);
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            try
            {
                await foreach (var (chunk, length) in chunks.Reader.ReadAllAsync(cancellationToken))
                {
                    try
                    {
                        await stream.WriteAsync(chunk.AsMemory(0, length), cancellationToken);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(chunk);
                    }
                }
            }
            finally
            {
                // A failed send stops the serializing thread (it may be waiting for room) before this returns.
                await stop.CancelAsync();
                await writer;
                while (chunks.Reader.TryRead(out var left))
                {
                    ArrayPool<byte>.Shared.Return(left.Chunk);
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 5L + message.CalculateSize();
            return true;
        }
    }

    /// <summary>The buffer protobuf serializes into: a full chunk goes to the channel, waiting while it is full.</summary>
    private sealed class ChunkWriter(ChannelWriter<(byte[] Chunk, int Length)> chunks, CancellationToken stop) : IBufferWriter<byte>
    {
        private byte[] _chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        private int _length;

        public void Advance(int count) => _length += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _chunk.AsMemory(_length);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _chunk.AsSpan(_length);
        }

        /// <summary>Sends what is left, once protobuf is done writing.</summary>
        public void Flush()
        {
            if (_length > 0)
            {
                Send();
            }
        }

        private void Ensure(int sizeHint)
        {
            if (_chunk.Length - _length < Math.Max(sizeHint, 1))
            {
                Send();
                if (_chunk.Length < sizeHint)
                {
                    ArrayPool<byte>.Shared.Return(_chunk);
                    _chunk = ArrayPool<byte>.Shared.Rent(sizeHint);
                }
            }
        }

        private void Send()
        {
            // On the serializing thread of its own: blocking here is the back-pressure of the connection.
            if (!chunks.TryWrite((_chunk, _length)))
            {
                chunks.WriteAsync((_chunk, _length), stop).AsTask().GetAwaiter().GetResult();
            }

            _chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            _length = 0;
        }
    }
}
