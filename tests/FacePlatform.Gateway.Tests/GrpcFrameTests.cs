using System.Buffers;
using System.IO.Pipelines;
using FacePlatform.Gateway.Grpc;
using FacePlatform.ServiceDefaults.Grpc;

namespace FacePlatform.Gateway.Tests;

public sealed class GrpcFrameTests
{
    private const long Max = (2 * 20L * 1024 * 1024) + (64 * 1024);

    [Fact]
    public void The_header_is_the_compressed_flag_and_a_big_endian_length_even_split_across_segments()
    {
        // 0x01_02_03_04 bytes, compressed, the header cut after its second byte as a network read may cut it.
        var buffer = Sequence([1, 0x01], [0x02, 0x03, 0x04, 0xAA]);

        Assert.True(GrpcFrameHeader.TryReadHeader(buffer, out var compressed, out var length));
        Assert.True(compressed);
        Assert.Equal(0x01020304, length);
    }

    [Fact]
    public void Fewer_than_five_bytes_are_no_header_yet()
    {
        Assert.False(GrpcFrameHeader.TryReadHeader(Sequence([0, 0, 0, 1]), out _, out _));
    }

    [Fact]
    public void The_largest_length_a_header_can_say_is_read_unsigned()
    {
        Assert.True(GrpcFrameHeader.TryReadHeader(Sequence([0, 0xFF, 0xFF, 0xFF, 0xFF]), out var compressed, out var length));
        Assert.False(compressed);
        Assert.Equal(uint.MaxValue, length);
        Assert.Equal(GrpcFrameVerdict.TooLarge, GrpcFrame.Decide(compressed, length, Max).Verdict);
    }

    [Theory]
    [InlineData(false, 100, nameof(GrpcFrameVerdict.Small), 100)]
    [InlineData(false, GrpcFrame.SmallMessageBytes - 1, nameof(GrpcFrameVerdict.Small), GrpcFrame.SmallMessageBytes - 1)]
    [InlineData(false, GrpcFrame.SmallMessageBytes, nameof(GrpcFrameVerdict.Budget), GrpcFrame.MemoryFactor * GrpcFrame.SmallMessageBytes)]
    [InlineData(false, 20L * 1024 * 1024, nameof(GrpcFrameVerdict.Budget), GrpcFrame.MemoryFactor * 20L * 1024 * 1024)]
    [InlineData(false, Max, nameof(GrpcFrameVerdict.Budget), GrpcFrame.MemoryFactor * Max)]
    [InlineData(false, Max + 1, nameof(GrpcFrameVerdict.TooLarge), Max + 1)]
    // A compressed message is what it inflates to, up to the limit: a few KB of gzip can be a 40-MB message.
    [InlineData(true, 100, nameof(GrpcFrameVerdict.Budget), GrpcFrame.MemoryFactor * Max)]
    [InlineData(true, Max + 1, nameof(GrpcFrameVerdict.TooLarge), Max + 1)]
    public void A_message_is_refused_metered_or_let_through_by_its_size(bool compressed, long length, string verdict, long bytes)
    {
        // The verdict goes by name: the enum is internal to the gateway, and a theory's parameters must be public.
        Assert.Equal(new GrpcFrameDecision(Enum.Parse<GrpcFrameVerdict>(verdict), bytes), GrpcFrame.Decide(compressed, length, Max));
    }

    [Fact]
    public async Task Peeking_waits_for_a_header_split_across_writes_and_leaves_the_whole_frame_to_read()
    {
        var pipe = new Pipe();
        byte[] frame = [0, 0, 0, 0, 3, 7, 8, 9];
        await pipe.Writer.WriteAsync(frame.AsMemory(0, 2));
        var peek = GrpcFrameHeader.PeekHeaderAsync(pipe.Reader, CancellationToken.None);
        Assert.False(peek.IsCompleted);
        await pipe.Writer.WriteAsync(frame.AsMemory(2));
        await pipe.Writer.CompleteAsync();

        var header = await peek;
        var rest = await pipe.Reader.ReadAsync();

        Assert.Equal((false, 3L), header);
        Assert.Equal(frame, rest.Buffer.ToArray());
    }

    [Fact]
    public async Task A_body_that_ends_before_five_bytes_has_no_header_and_keeps_its_bytes()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0 });
        await pipe.Writer.CompleteAsync();

        var header = await GrpcFrameHeader.PeekHeaderAsync(pipe.Reader, CancellationToken.None);
        var rest = await pipe.Reader.ReadAsync();

        Assert.Null(header);
        Assert.Equal(2, rest.Buffer.Length);
    }

    private static ReadOnlySequence<byte> Sequence(params byte[][] segments)
    {
        Segment? first = null;
        Segment? last = null;
        foreach (var bytes in segments)
        {
            var segment = new Segment(bytes, last?.RunningIndex + last?.Memory.Length ?? 0);
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.SetNext(segment);
            }

            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
