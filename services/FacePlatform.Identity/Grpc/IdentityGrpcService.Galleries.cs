using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Galleries;
using FacePlatform.Identity.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace FacePlatform.Identity.Grpc;

/// <summary>
/// Subjects, faces, search and verification: each handler checks the request, calls the gallery services
/// (<see cref="GalleryWrites"/>, <see cref="GalleryReads"/>, <see cref="IGallerySearch"/>) and maps the answer.
/// </summary>
internal sealed partial class IdentityGrpcService
{
    private const int MaxTopK = 100;
    private const int DefaultTopK = 5;
    private const int MaxQueries = 100;

    public override async Task<Subject> CreateSubject(CreateSubjectRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var externalId = request.ExternalId.Length == 0 ? Guid.NewGuid().ToString("N") : request.ExternalId;
        limits.Text(externalId, "external_id");
        limits.Text(request.DisplayName, "display_name", allowEmpty: true);
        var metadata = limits.Metadata(request.Metadata);
        var subject = await writes.CreateSubjectAsync(tenantId, collectionId, externalId, request.DisplayName, metadata, context.CancellationToken);
        return ToMessage(subject, 0);
    }

    public override async Task<Subject> GetSubject(GetSubjectRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        return await reads.GetSubjectAsync(tenantId, collectionId, subjectId, s => ToMessage(s.Subject, s.Faces), context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
    }

    public override async Task<ListSubjectsResponse> ListSubjects(ListSubjectsRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        limits.Filter(request.Filter);
        var page = await reads.ListSubjectsAsync(tenantId, collectionId, request.Filter, Paging.After(request.Page), Paging.Size(request.Page),
                context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId);
        var response = new ListSubjectsResponse { Page = Paging.Next(page.Rows, page.Size, s => s.Subject.Id) };
        response.Subjects.AddRange(page.Rows.Select(s => ToMessage(s.Subject, s.Faces)));
        return response;
    }

    public override async Task<Subject> UpdateSubject(UpdateSubjectRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        var paths = request.UpdateMask?.Paths ?? [];
        if (paths.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "update_mask must name at least one of: display_name, metadata"));
        }

        string? displayName = null;
        string? metadata = null;
        foreach (var path in paths)
        {
            switch (path)
            {
                case "display_name":
                    limits.Text(request.DisplayName, "display_name", allowEmpty: true);
                    displayName = request.DisplayName;
                    break;
                case "metadata":
                    metadata = limits.Metadata(request.Metadata);
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{path}' cannot be updated; use display_name or metadata"));
            }
        }

        var updated = await writes.UpdateSubjectAsync(tenantId, collectionId, subjectId, displayName, metadata, context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
        return ToMessage(updated.Subject, updated.Faces);
    }

    public override async Task<DeleteResponse> DeleteSubject(DeleteSubjectRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        var faces = await writes.DeleteSubjectAsync(tenantId, collectionId, subjectId, context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
        return new DeleteResponse { DeletedSubjects = 1, DeletedFaces = faces };
    }

    public override async Task<EnrollResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        if (request.Faces.Count == 0 || request.Faces.Count > options.Value.MaxFacesPerEnroll)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"an enrolment carries 1 to {options.Value.MaxFacesPerEnroll} faces"));
        }

        limits.Text(request.RequestId, "request_id", allowEmpty: true);
        var faces = request.Faces.Select(ToInput).ToList();
        var outcome = await writes.EnrollAsync(tenantId, collectionId, subjectId, request.RequestId, faces, context.CancellationToken);
        var response = new EnrollResponse { Duplicates = outcome.Duplicates };
        response.Faces.AddRange(outcome.Faces.Select(ToMessage));
        return response;
    }

    public override async Task<ListFacesResponse> ListFaces(ListFacesRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        var size = Paging.Size(request.Page);
        var faces = await reads.ListFacesAsync(tenantId, collectionId, subjectId, Paging.After(request.Page), size + 1, context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
        var response = new ListFacesResponse { Page = Paging.Next(faces, size, f => f.Id) };
        response.Faces.AddRange(faces.Select(ToMessage));
        return response;
    }

    public override async Task<DeleteResponse> DeleteFace(DeleteFaceRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var faceId = Ids.Parse(request.FaceId, "face");
        if (!await writes.DeleteFaceAsync(tenantId, collectionId, faceId, context.CancellationToken))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"face '{request.FaceId}' was not found"));
        }

        return new DeleteResponse { DeletedFaces = 1 };
    }

    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        if (request.Queries.Count is 0 or > MaxQueries)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"a search carries 1 to {MaxQueries} query embeddings"));
        }

        var topK = request.TopK switch
        {
            0 => DefaultTopK,
            < 0 or > MaxTopK => throw new RpcException(new Status(StatusCode.InvalidArgument, $"top_k must be between 1 and {MaxTopK}")),
            var k => k,
        };
        if (request.HasThreshold && (request.Threshold is < -1 or > 1 || float.IsNaN(request.Threshold)))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "threshold must be a cosine similarity in [-1, 1]"));
        }

        if (request.HasEfSearch && request.EfSearch is < 1 or > 1000)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "ef_search must be between 1 and 1000"));
        }

        if (request.HasRerankCandidates && request.RerankCandidates is < 1 or > 1000)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "rerank_candidates must be between 1 and 1000"));
        }

        return search.SearchAsync(
            new SearchInput(tenantId, collectionId, request.Queries, topK,
                request.HasThreshold ? request.Threshold : null,
                request.HasEfSearch ? request.EfSearch : null,
                request.HasRerankCandidates ? request.RerankCandidates : null),
            context.CancellationToken);
    }

    public override async Task<VerifyEmbeddingResponse> Verify(VerifyEmbeddingRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        var (collection, faceId, similarity) = await reads.BestFaceAsync(tenantId, collectionId, subjectId, request.Embedding, context.CancellationToken);
        var threshold = request.HasThreshold ? request.Threshold : options.Value.ThresholdFor(collection.ModelId);
        return new VerifyEmbeddingResponse
        {
            Similarity = similarity,
            Threshold = threshold,
            Match = similarity >= threshold,
            FaceId = faceId.ToString(),
        };
    }

    private static FaceInput ToInput(FaceToEnroll face)
    {
        var sha = face.ImageSha256;
        if (sha.Length is not (0 or 64) || !sha.All(char.IsAsciiHexDigitLower))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "image_sha256 must be 64 lower-case hex digits (or empty)"));
        }

        return new FaceInput(face.Embedding, face.Quality, face.Box ?? new Box(), sha);
    }

    private static RpcException SubjectNotFound(string id) =>
        new(new Status(StatusCode.NotFound, $"subject '{id}' was not found"));

    private static Subject ToMessage(SubjectEntity subject, long faces) => new()
    {
        Id = subject.Id.ToString(),
        CollectionId = subject.CollectionId.ToString(),
        ExternalId = subject.ExternalId,
        DisplayName = subject.DisplayName,
        Metadata = Struct.Parser.ParseJson(subject.Metadata),
        FaceCount = faces,
        CreatedAt = Timestamp.FromDateTimeOffset(subject.CreatedAt),
    };

    private static EnrolledFace ToMessage(StoredFace face) => new()
    {
        Id = face.Id.ToString(),
        SubjectId = face.SubjectId.ToString(),
        Quality = face.Quality,
        Box = new Box { X = face.BoxX, Y = face.BoxY, Width = face.BoxWidth, Height = face.BoxHeight },
        ImageSha256 = face.ImageSha256,
        ModelId = face.ModelId,
        CreatedAt = Timestamp.FromDateTimeOffset(face.CreatedAt),
    };

}
