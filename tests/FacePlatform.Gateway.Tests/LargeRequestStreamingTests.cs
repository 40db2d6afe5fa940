using System.Buffers.Binary;
using System.Net.Http.Headers;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Clients;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.Gateway.Tests;

/// <summary>
/// A photo-sized request to the embedding service is sent from the message, in chunks, as the very bytes gRPC's client
/// would have sent (one uncompressed frame); smaller requests keep gRPC's own body.
/// </summary>
public sealed class LargeRequestStreamingTests
{
    private static readonly Method<DetectRequest, DetectResponse> Detect = new(
        MethodType.Unary, "test", "Detect", Marshallers.Create((DetectRequest r) => r.ToByteArray(), DetectRequest.Parser.ParseFrom),
        Marshallers.Create((DetectResponse r) => r.ToByteArray(), DetectResponse.Parser.ParseFrom));

    [Fact]
    public async Task A_large_message_is_written_as_one_grpc_frame_of_its_serialized_bytes()
    {
        // 3 MB: many 64-KB chunks, more than the writer may have ahead, so it waits for the sender in between.
        var request = Request(3 * 1024 * 1024);
        var expected = Frame(request.ToByteArray());

        using var content = new LargeRequestStreaming.MessageContent(request);
        var sent = await content.ReadAsByteArrayAsync();

        Assert.Equal(expected.Length, content.Headers.ContentLength);
        Assert.Equal(expected.Length, sent.Length);
        Assert.True(expected.AsSpan().SequenceEqual(sent), "the streamed bytes differ from the gRPC frame of the message");
    }

    [Fact]
    public async Task A_large_request_goes_out_as_the_message_and_a_small_one_as_grpcs_own_body()
    {
        var large = await SentContentAsync(Request(LargeRequestStreaming.MinimumBytes + 1));
        var small = await SentContentAsync(Request(1024));

        Assert.IsType<LargeRequestStreaming.MessageContent>(large);
        Assert.Equal("application/grpc", large.Headers.ContentType?.MediaType);
        Assert.IsType<ByteArrayContent>(small);
    }

    /// <summary>
    /// Makes a call of <paramref name="request"/> through the interceptor, whose continuation sends an HTTP request
    /// with a stand-in body (as gRPC's channel would) through the handler, and returns the body the handler let through.
    /// </summary>
    private static async Task<HttpContent> SentContentAsync(DetectRequest request)
    {
        var sent = new TaskCompletionSource<HttpContent>();
        using var invoker = new HttpMessageInvoker(new LargeRequestStreaming.Handler { InnerHandler = new Capture(sent) });
        var interceptor = new LargeRequestStreaming.Interceptor();
        using var call = interceptor.AsyncUnaryCall(request, new ClientInterceptorContext<DetectRequest, DetectResponse>(Detect, null, new CallOptions()),
            (message, _) =>
            {
                var http = new HttpRequestMessage(HttpMethod.Post, "http://embedding/test/Detect") { Content = new ByteArrayContent([0]) };
                http.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
                var response = Task.Run(async () =>
                {
                    using var answer = await invoker.SendAsync(http, CancellationToken.None);
                    return new DetectResponse();
                });
                return new AsyncUnaryCall<DetectResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
            });
        await call.ResponseAsync;
        return await sent.Task;
    }

    private static DetectRequest Request(int photoBytes)
    {
        var photo = new byte[photoBytes];
        new Random(16).NextBytes(photo);
        return new DetectRequest { Image = new Image { Content = UnsafeByteOperations.UnsafeWrap(photo) }, MaxFaces = 3, ModelId = "model" };
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    private sealed class Capture(TaskCompletionSource<HttpContent> sent) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            sent.SetResult(request.Content!);
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }
}
