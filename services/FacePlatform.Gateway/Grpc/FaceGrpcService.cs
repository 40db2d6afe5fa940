using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Auth;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;

namespace FacePlatform.Gateway.Grpc;

/// <summary>
/// The public gRPC API. Same operations and semantics as REST; the key comes in metadata <c>x-api-key</c>. Statuses
/// of the internal services pass through unchanged, so NOT_FOUND of another tenant's collection stays NOT_FOUND.
/// </summary>
[Authorize(Policies.Read)]
internal sealed class FaceGrpcService(IdentityService.IdentityServiceClient identity) : FaceService.FaceServiceBase
{
    [Authorize(Policies.Write)]
    public override Task<Collection> CreateCollection(CreateCollectionCall request, ServerCallContext context) =>
        identity.CreateCollectionAsync(new CreateCollectionRequest
        {
            TenantId = TenantOf(context),
            Name = request.Name,
            Description = request.Description,
            ModelId = request.ModelId,
        }).ResponseAsync;

    public override Task<Collection> GetCollection(CollectionRef request, ServerCallContext context) =>
        identity.GetCollectionAsync(new GetCollectionRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
        }).ResponseAsync;

    public override Task<ListCollectionsResponse> ListCollections(ListCollectionsCall request, ServerCallContext context) =>
        identity.ListCollectionsAsync(new ListCollectionsRequest
        {
            TenantId = TenantOf(context),
            Page = request.Page,
        }).ResponseAsync;

    [Authorize(Policies.Write)]
    public override Task<DeleteResponse> DeleteCollection(CollectionRef request, ServerCallContext context) =>
        identity.DeleteCollectionAsync(new DeleteCollectionRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
        }).ResponseAsync;

    public override Task<AnalyzeResponse> Analyze(AnalyzeRequest request, ServerCallContext context) =>
        throw NotYet("analysis arrives with the public API issue (#6)");

    public override Task<VerifyResponse> Verify(VerifyRequest request, ServerCallContext context) =>
        throw NotYet("verification arrives with the public API issue (#6)");

    private static string TenantOf(ServerCallContext context) => Caller.From(context.GetHttpContext().User).TenantId;

    private static RpcException NotYet(string what) => new(new Status(StatusCode.Unimplemented, what));
}
