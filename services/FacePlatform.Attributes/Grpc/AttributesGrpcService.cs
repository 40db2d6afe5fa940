using FacePlatform.Contracts.V1;
using Grpc.Core;

namespace FacePlatform.Attributes.Grpc;

/// <summary>Age, gender, emotion and liveness from aligned crops. The models arrive with the inference issue (#4).</summary>
internal sealed class AttributesGrpcService : AttributesService.AttributesServiceBase
{
    public override Task<PredictResponse> Predict(PredictRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "attribute models arrive with issue #4 (age, gender, emotion, liveness)"));
}
