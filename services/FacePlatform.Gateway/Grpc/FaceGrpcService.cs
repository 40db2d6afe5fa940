using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Admin;
using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Faces;
using FacePlatform.Gateway.Imaging;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;

namespace FacePlatform.Gateway.Grpc;

/// <summary>
/// The public gRPC API: the same operations and semantics as REST (both go through <see cref="FaceOperations"/> and
/// the identity client); the key comes in metadata <c>x-api-key</c>. Statuses of the internal services pass through,
/// so NOT_FOUND of another tenant's collection stays NOT_FOUND; the gateway's own refusals (oversize or unsupported
/// photos) are INVALID_ARGUMENT, no face for enrolment FAILED_PRECONDITION.
/// </summary>
[Authorize(Policies.Read)]
internal sealed class FaceGrpcService(
    IdentityService.IdentityServiceClient identity,
    FaceOperations faces,
    ImageGate gate,
    TenantAdministration tenants) : FaceService.FaceServiceBase
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

    public override Task<AnalyzeResponse> DetectFaces(DetectFacesRequest request, ServerCallContext context) => Guard(() =>
        faces.DetectFacesAsync(Photo(request.Image, "image"), request.MaxFaces, request.MinFaceSize, context.CancellationToken, request.Profile));

    public override Task<VerifyResponse> Verify(VerifyRequest request, ServerCallContext context) => Guard(() =>
        faces.VerifyAsync(TenantOf(context),
            VerifySide.Of(OptionalPhoto(request.Image1, "image1"), FaceReference.From(request.Embedding1, request.FaceId1, "embedding1 / face_id1"), 1),
            VerifySide.Of(OptionalPhoto(request.Image2, "image2"), FaceReference.From(request.Embedding2, request.FaceId2, "embedding2 / face_id2"), 2),
            request.CollectionId, request.SubjectId, request.HasThreshold ? request.Threshold : null, context.CancellationToken));

    [Authorize(Policies.Write)]
    public override Task<Collection> CreateCollection(CreateCollectionCall request, ServerCallContext context) =>
        identity.CreateCollectionAsync(new CreateCollectionRequest
        {
            TenantId = TenantOf(context),
            Name = request.Name,
            Description = request.Description,
            ModelId = request.ModelId,
            FalseAcceptRate = request.FalseAcceptRate,
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

    [Authorize(Policies.Write)]
    public override Task<Subject> CreateSubject(CreateSubjectCall request, ServerCallContext context) =>
        identity.CreateSubjectAsync(new CreateSubjectRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            ExternalId = request.ExternalId,
            DisplayName = request.DisplayName,
            Metadata = request.Metadata,
        }).ResponseAsync;

    public override Task<Subject> GetSubject(SubjectRef request, ServerCallContext context) =>
        identity.GetSubjectAsync(new GetSubjectRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            SubjectId = request.SubjectId,
        }).ResponseAsync;

    public override Task<ListSubjectsResponse> ListSubjects(ListSubjectsCall request, ServerCallContext context) =>
        identity.ListSubjectsAsync(new ListSubjectsRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            Page = request.Page,
            Filter = request.Filter,
        }).ResponseAsync;

    [Authorize(Policies.Write)]
    public override Task<Subject> UpdateSubject(UpdateSubjectCall request, ServerCallContext context) =>
        identity.UpdateSubjectAsync(new UpdateSubjectRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            SubjectId = request.SubjectId,
            DisplayName = request.DisplayName,
            Metadata = request.Metadata,
            UpdateMask = request.UpdateMask,
        }).ResponseAsync;

    [Authorize(Policies.Write)]
    public override Task<DeleteResponse> DeleteSubject(SubjectRef request, ServerCallContext context) =>
        identity.DeleteSubjectAsync(new DeleteSubjectRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            SubjectId = request.SubjectId,
        }).ResponseAsync;

    [Authorize(Policies.Write)]
    public override Task<EnrollResponse> EnrollFace(EnrollFaceCall request, ServerCallContext context) => Guard(() =>
        faces.EnrollAsync(TenantOf(context), request.CollectionId, request.SubjectId, Photo(request.Image, "image"),
            string.Equals(request.Face, "largest", StringComparison.OrdinalIgnoreCase),
            string.IsNullOrEmpty(request.RequestId) ? null : request.RequestId, context.CancellationToken, request.QualityFilter, request.Profile));

    [Authorize(Policies.Write)]
    public override Task<DeleteResponse> DeleteFace(FaceRef request, ServerCallContext context) =>
        identity.DeleteFaceAsync(new DeleteFaceRequest
        {
            TenantId = TenantOf(context),
            CollectionId = request.CollectionId,
            FaceId = request.FaceId,
        }).ResponseAsync;

    public override Task<SearchPhotoResponse> Search(SearchCall request, ServerCallContext context) => Guard(() =>
        faces.SearchAsync(TenantOf(context), request.CollectionId, OptionalPhoto(request.Image, "image"),
            FaceReference.From(request.Embedding, request.FaceId, "embedding / face_id"), request.TopK,
            request.HasThreshold ? request.Threshold : null, request.MaxFaces, context.CancellationToken, request.QualityFilter, request.Profile));

    [Authorize(Policies.Admin)]
    public override Task<Tenant> SuspendTenant(TenantRequest request, ServerCallContext context) =>
        tenants.SuspendAsync(CallerOf(context), request.TenantId, context.CancellationToken);

    [Authorize(Policies.Admin)]
    public override Task<Tenant> ResumeTenant(TenantRequest request, ServerCallContext context) =>
        tenants.ResumeAsync(CallerOf(context), request.TenantId, context.CancellationToken);

    [Authorize(Policies.Admin)]
    public override Task<DeleteTenantResponse> DeleteTenant(TenantRequest request, ServerCallContext context) =>
        tenants.DeleteAsync(CallerOf(context), request.TenantId, context.CancellationToken);

    /// <summary>An empty tenant_id reads the caller's own tenant's log.</summary>
    [Authorize(Policies.Admin)]
    public override Task<ListAuditEventsResponse> ListAuditEvents(ListAuditEventsRequest request, ServerCallContext context)
    {
        var caller = CallerOf(context);
        return tenants.ListAuditEventsAsync(caller, request.TenantId is { Length: > 0 } id ? id : caller.TenantId,
            request.Page ?? new PageRequest(), context.CancellationToken);
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
    }
}
