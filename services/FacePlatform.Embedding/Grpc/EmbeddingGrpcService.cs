using FacePlatform.Contracts.V1;
using Grpc.Core;

namespace FacePlatform.Embedding.Grpc;

/// <summary>Detection, alignment and embedding. The pipeline arrives with the inference issue (#4).</summary>
internal sealed class EmbeddingGrpcService : EmbeddingService.EmbeddingServiceBase
{
    private const string NotYet = "the inference pipeline arrives with issue #4 (detect, align, embed)";

    public override Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, NotYet));

    public override Task<DetectResponse> DetectAndEmbed(DetectRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, NotYet));

    public override Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, NotYet));
}
