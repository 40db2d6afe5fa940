using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Admin;
using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Faces;
using FacePlatform.Gateway.Imaging;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Internal = FacePlatform.Contracts.Internal.V1;

namespace FacePlatform.Gateway.Grpc;

/// <summary>
/// The public gRPC API: the same operations and semantics as REST (both go through <see cref="FaceOperations"/> and
/// the identity client); the key comes in metadata <c>x-api-key</c>. Statuses of the internal services pass through,
/// so NOT_FOUND of another tenant's collection stays NOT_FOUND; the gateway's own refusals (oversize or unsupported
/// photos) are INVALID_ARGUMENT, no face for enrolment FAILED_PRECONDITION.
/// </summary>
[Authorize(Policies.Read)]
internal sealed class FaceGrpcService(
    Internal.IdentityService.IdentityServiceClient identity,
    FaceOperations faces,
    ImageGate gate,
    TenantAdministration tenants,
    CollectionProfiles profiles) : FaceService.FaceServiceBase
{
    public override Task<AnalyzeResponse> Analyze(AnalyzeRequest request, ServerCallContext context) => Guard(() =>
        faces.AnalyzeAsync(TenantOf(context), Photo(request.Image, "image"),
            AnalyzeOptions.Create(request.CollectionId, request.Include, request.MaxFaces, request.MinFaceSize, request.Attributes, request.Profile),
            context.CancellationToken));

    public override Task<BatchAnalyzeResponse> BatchAnalyze(BatchAnalyzeRequest request, ServerCallContext context) => Guard(async () =>
    {
        var max = gate.Limits.MaxAnalyzeBatchItems;
        if (request.Requests.Count is 0 || request.Requests.Count > max)
        {
            throw ApiProblemException.BadRequest($"a batch carries 1–{max} requests, not {request.Requests.Count}");
        }

        var first = request.Requests[0];
        var options = AnalyzeOptions.Create(first.CollectionId, first.Include, first.MaxFaces, first.MinFaceSize, first.Attributes, first.Profile);
        // The photos are already in the message (bounded by the gRPC message budget): nothing more to admit.
        var results = await faces.AnalyzeBatchAsync(TenantOf(context), request.Requests.Count,
            (i, _) => Task.FromResult<(GatedImage, IDisposable?)>((Photo(request.Requests[i].Image, $"requests[{i}].image"), null)),
            options, context.CancellationToken);
        var response = new BatchAnalyzeResponse();
        response.Results.AddRange(results.Select(r => r.Answer is { } answer
            ? new BatchAnalyzeResult { Response = answer }
            : new BatchAnalyzeResult { Error = new BatchItemError { Code = (int)r.Problem!.GrpcStatus, Message = r.Problem.Detail } }));
        return response;
    });

    public override Task<DetectFacesResponse> DetectFaces(DetectFacesRequest request, ServerCallContext context) => Guard(async () =>
        PublicContract.Detected(await faces.DetectFacesAsync(Photo(request.Image, "image"), request.MaxFaces, request.MinFaceSize, context.CancellationToken, request.Profile)));

    public override Task<VerifyResponse> Verify(VerifyRequest request, ServerCallContext context) => Guard(() =>
        faces.VerifyAsync(TenantOf(context),
            VerifySide.Of(OptionalPhoto(request.Image1, "image1"), FaceReference.From(request.Embedding1, request.FaceId1, "embedding1 / face_id1"), 1),
            VerifySide.Of(OptionalPhoto(request.Image2, "image2"), FaceReference.From(request.Embedding2, request.FaceId2, "embedding2 / face_id2"), 2),
            request.CollectionId, request.SubjectId, request.HasThreshold ? request.Threshold : null, context.CancellationToken));

    [Authorize(Policies.Write)]
    public override Task<CreateCollectionResponse> CreateCollection(CreateCollectionRequest request, ServerCallContext context) => Guard(async () =>
        PublicContract.Created(await identity.CreateCollectionAsync(await profiles.ApplyAsync(new Internal.CreateCollectionRequest
        {
            TenantId = TenantOf(context),
            Name = request.Name,
            Description = request.Description,
            ModelId = request.ModelId,
            FalseAcceptRate = request.FalseAcceptRate,
            Profile = request.Profile,
        }, context.CancellationToken))));

    public override async Task<GetCollectionResponse> GetCollection(GetCollectionRequest request, ServerCallContext context) =>
        PublicContract.Got(await identity.GetCollectionAsync(new Internal.GetCollectionRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
        }));

    public override async Task<ListCollectionsResponse> ListCollections(ListCollectionsRequest request, ServerCallContext context) =>
        PublicContract.Listed(await identity.ListCollectionsAsync(new Internal.ListCollectionsRequest
        {
            TenantId = TenantOf(context),
            Page = request.Page,
        }));

    [Authorize(Policies.Write)]
    public override async Task<DeleteCollectionResponse> DeleteCollection(DeleteCollectionRequest request, ServerCallContext context) =>
        PublicContract.CollectionDeleted(await identity.DeleteCollectionAsync(new Internal.DeleteCollectionRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
        }));

    [Authorize(Policies.Write)]
    public override async Task<CreateSubjectResponse> CreateSubject(CreateSubjectRequest request, ServerCallContext context) =>
        PublicContract.Created(await identity.CreateSubjectAsync(new Internal.CreateSubjectRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            ExternalId = request.ExternalId,
            DisplayName = request.DisplayName,
            Metadata = request.Metadata,
        }));

    public override async Task<GetSubjectResponse> GetSubject(GetSubjectRequest request, ServerCallContext context) =>
        PublicContract.Got(await identity.GetSubjectAsync(new Internal.GetSubjectRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            SubjectId = request.SubjectId,
        }));

    public override async Task<ListSubjectsResponse> ListSubjects(ListSubjectsRequest request, ServerCallContext context) =>
        PublicContract.Listed(await identity.ListSubjectsAsync(new Internal.ListSubjectsRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            Page = request.Page,
            Filter = request.Filter,
        }));

    [Authorize(Policies.Write)]
    public override async Task<UpdateSubjectResponse> UpdateSubject(UpdateSubjectRequest request, ServerCallContext context) =>
        PublicContract.Updated(await identity.UpdateSubjectAsync(new Internal.UpdateSubjectRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            SubjectId = request.SubjectId,
            DisplayName = request.DisplayName,
            Metadata = request.Metadata,
            UpdateMask = request.UpdateMask,
        }));

    [Authorize(Policies.Write)]
    public override async Task<DeleteSubjectResponse> DeleteSubject(DeleteSubjectRequest request, ServerCallContext context) =>
        PublicContract.SubjectDeleted(await identity.DeleteSubjectAsync(new Internal.DeleteSubjectRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            SubjectId = request.SubjectId,
        }));

    [Authorize(Policies.Write)]
    public override Task<EnrollFaceResponse> EnrollFace(EnrollFaceRequest request, ServerCallContext context) => Guard(async () =>
        PublicContract.Enrolled(await faces.EnrollAsync(TenantOf(context), request.CollectionId, request.SubjectId, Photo(request.Image, "image"),
            string.Equals(request.Face, "largest", StringComparison.OrdinalIgnoreCase),
            string.IsNullOrEmpty(request.RequestId) ? null : request.RequestId, context.CancellationToken, request.QualityFilter, request.Profile)));

    [Authorize(Policies.Write)]
    public override async Task<DeleteFaceResponse> DeleteFace(DeleteFaceRequest request, ServerCallContext context) =>
        PublicContract.FaceDeleted(await identity.DeleteFaceAsync(new Internal.DeleteFaceRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            FaceId = request.FaceId,
        }));

    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context) => Guard(() =>
        faces.SearchAsync(TenantOf(context), request.CollectionId, OptionalPhoto(request.Image, "image"),
            FaceReference.From(request.Embedding, request.FaceId, "embedding / face_id"), request.TopK,
            request.HasThreshold ? request.Threshold : null, request.MaxFaces, context.CancellationToken, request.QualityFilter, request.Profile));

    [Authorize(Policies.Admin)]
    public override async Task<SuspendTenantResponse> SuspendTenant(SuspendTenantRequest request, ServerCallContext context) =>
        PublicContract.Suspended(await tenants.SuspendAsync(CallerOf(context), request.TenantId, context.CancellationToken));

    [Authorize(Policies.Admin)]
    public override async Task<ResumeTenantResponse> ResumeTenant(ResumeTenantRequest request, ServerCallContext context) =>
        PublicContract.Resumed(await tenants.ResumeAsync(CallerOf(context), request.TenantId, context.CancellationToken));

    [Authorize(Policies.Admin)]
    public override async Task<DeleteTenantResponse> DeleteTenant(DeleteTenantRequest request, ServerCallContext context) =>
        PublicContract.TenantDeleted(await tenants.DeleteAsync(CallerOf(context), request.TenantId, context.CancellationToken));

    /// <summary>An empty tenant_id reads the caller's own tenant's log.</summary>
    [Authorize(Policies.Admin)]
    public override async Task<ListAuditEventsResponse> ListAuditEvents(ListAuditEventsRequest request, ServerCallContext context)
    {
        var caller = CallerOf(context);
        return PublicContract.Listed(await tenants.ListAuditEventsAsync(caller, request.TenantId is { Length: > 0 } id ? id : caller.TenantId,
            request.Page ?? new PageRequest(), context.CancellationToken));
    }

    private GatedImage Photo(Image? image, string name) =>
        image is { SourceCase: Image.SourceOneofCase.Content }
            ? gate.Check(ArrayOf(image.Content))
            : throw ApiProblemException.BadRequest($"{name}.content must hold the encoded photo");

    /// <summary>Null when <paramref name="image"/> is not sent (another input stands for it).</summary>
    private GatedImage? OptionalPhoto(Image? image, string name) =>
        image is null || image.SourceCase == Image.SourceOneofCase.None ? null : Photo(image, name);

    /// <summary>
    /// The array a parsed message's bytes field already holds (protobuf parses it into an exact-size array of its own),
    /// instead of a copy: one large-object-heap array per photo fewer. Copied only if it is a slice of a larger array.
    /// </summary>
    private static byte[] ArrayOf(Google.Protobuf.ByteString content) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content.Memory, out var segment)
            && segment is { Array: { } array, Offset: 0 } && segment.Count == array.Length
            ? array
            : content.ToByteArray();

    private static string TenantOf(ServerCallContext context) => CallerOf(context).TenantId;

    private static Caller CallerOf(ServerCallContext context) => Caller.From(context.GetHttpContext().User);

    /// <summary>The gateway's own refusals become the gRPC status that means the same.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ApiProblemException problem)
        {
            throw problem.ToRpcException();
        }
        catch (OutOfMemoryException)
        {
            // The heap hard limit refused an allocation while other photos held the heap: busy, not broken.
            throw ApiProblemException.MemoryFull().ToRpcException();
        }
    }
}
