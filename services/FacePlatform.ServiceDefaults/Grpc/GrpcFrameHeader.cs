using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace FacePlatform.ServiceDefaults.Grpc;

/// <summary>
/// The gRPC length-prefixed frame: one byte compressed flag, then the message length as a big-endian unsigned 32-bit
/// integer, then the message.
/// </summary>
public static class GrpcFrameHeader
{
    /// <summary>Bytes of the header before the message.</summary>
    public const int HeaderBytes = 5;

    /// <summary>Reads the header at the start of <paramref name="buffer"/>; false while fewer than 5 bytes have come.</summary>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out bool compressed, out long length)
    {
        if (buffer.Length < HeaderBytes)
        {
            (compressed, length) = (false, 0);
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        compressed = header[0] != 0;
        length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        return true;
    }

    /// <summary>
    /// The first frame header, left unconsumed (grpc-dotnet reads the same bytes again); null when the body ended before
    /// five bytes, which grpc-dotnet answers itself.
    /// </summary>
    public static async Task<(bool Compressed, long Length)?> PeekHeaderAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryReadHeader(buffer, out var compressed, out var length))
            {
                reader.AdvanceTo(buffer.Start);
                return (compressed, length);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                reader.AdvanceTo(buffer.Start);
                return null;
            }

            // Examined all of it: the next read waits for more bytes instead of returning these again.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
