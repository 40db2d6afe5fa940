using System.Buffers;
using System.IO.Pipelines;
using FacePlatform.ServiceDefaults.Grpc;

namespace FacePlatform.Gateway.Tests;

/// <summary>
/// <see cref="ReceivedMessageReader"/> must give grpc-dotnet the same bytes, in the same order and with the same end,
/// as the request body it replaces: the message received in pieces, then whatever follows it on the stream.
/// </summary>
public sealed class ReceivedMessageReaderTests
{
    [Fact]
    public async Task The_message_arrives_in_pieces_and_is_read_whole_then_the_rest_of_the_body_follows()
    {
        var body = new Pipe();
        byte[] message = [0, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6];
        byte[] after = [7, 8];
        await body.Writer.WriteAsync(message.AsMemory(0, 4));
        var receiving = ReceivedMessageReader.ReceiveAsync(body.Reader, message.Length, CancellationToken.None);
        await body.Writer.WriteAsync(message.AsMemory(4));
        await body.Writer.WriteAsync(after);
        await body.Writer.CompleteAsync();
        var reader = await receiving;

        var first = await reader.ReadAsync();
        Assert.Equal(message, first.Buffer.ToArray());
        Assert.False(first.IsCompleted);
        reader.AdvanceTo(first.Buffer.End);

        var rest = await reader.ReadAsync();
        Assert.Equal(after, rest.Buffer.ToArray());
        Assert.True(rest.IsCompleted);
    }

    [Fact]
    public async Task A_message_consumed_in_part_is_read_again_from_where_it_was_left()
    {
        var body = new Pipe();
        byte[] message = [0, 0, 0, 0, 3, 1, 2, 3];
        await body.Writer.WriteAsync(message);
        await body.Writer.CompleteAsync();
        var reader = await ReceivedMessageReader.ReceiveAsync(body.Reader, message.Length, CancellationToken.None);

        var first = await reader.ReadAsync();
        reader.AdvanceTo(first.Buffer.GetPosition(5));

        var second = await reader.ReadAsync();
        Assert.Equal(new byte[] { 1, 2, 3 }, second.Buffer.ToArray());
    }

    [Fact]
    public async Task A_body_that_ends_inside_the_message_is_handed_on_as_ended()
    {
        var body = new Pipe();
        byte[] truncated = [0, 0, 0, 0, 100, 1, 2];
        await body.Writer.WriteAsync(truncated);
        await body.Writer.CompleteAsync();

        var reader = await ReceivedMessageReader.ReceiveAsync(body.Reader, 105, CancellationToken.None);
        var result = await reader.ReadAsync();

        Assert.Equal(truncated, result.Buffer.ToArray());
        Assert.True(result.IsCompleted);
    }
}
