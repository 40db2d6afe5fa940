using System.Diagnostics;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Search;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using FacePlatform.Identity.Validation;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace FacePlatform.Identity.Grpc;

/// <summary>Subjects, faces, search and verification. Every change raises the collection version and purges its cache.</summary>
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

        await using var transaction = await db.Database.BeginTransactionAsync(context.CancellationToken);
        await CheckQuotaAsync(tenantId, new QuotaUse(Subjects: 1, MetadataBytes: MetadataBytes(metadata)), context.CancellationToken);
        var version = await BumpAsync(tenantId, collectionId, subjects: 1, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId);
        var subject = new SubjectEntity
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            CollectionId = collectionId,
            ExternalId = externalId,
            DisplayName = request.DisplayName,
            Metadata = metadata,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Subjects.Add(subject);
        await db.SaveChangesAsync(context.CancellationToken);
        await transaction.CommitAsync(context.CancellationToken);
        await cache.InvalidateAsync(collectionId, version);
        return ToMessage(subject, 0);
    }

    public override async Task<Subject> GetSubject(GetSubjectRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        var collection = await store.FindCollectionAsync(tenantId, collectionId, context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
        if (await cache.GetSubjectAsync(collectionId, collection.Version, subjectId) is { } cached)
        {
            return cached;
        }

        var subject = await SubjectsWithFaceCounts(db.Subjects.Where(s => s.Id == subjectId && s.CollectionId == collectionId && s.TenantId == tenantId))
            .FirstOrDefaultAsync(context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
        var message = ToMessage(subject.Subject, subject.Faces);
        cache.StoreSubject(collectionId, collection.Version, message);
        return message;
    }

    public override async Task<ListSubjectsResponse> ListSubjects(ListSubjectsRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        _ = await store.FindCollectionAsync(tenantId, collectionId, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId);
        limits.Filter(request.Filter);
        var size = Paging.Size(request.Page);
        var after = Paging.After(request.Page);
        var subjects = db.Subjects.Where(s => s.CollectionId == collectionId && s.TenantId == tenantId && (after == null || s.Id > after));
        if (request.Filter.Length > 0)
        {
            var pattern = EscapeLike(request.Filter) + "%";
            subjects = subjects.Where(s => EF.Functions.ILike(s.ExternalId, pattern, "\\") || EF.Functions.ILike(s.DisplayName, pattern, "\\"));
        }

        var page = await SubjectsWithFaceCounts(subjects.OrderBy(s => s.Id).Take(size + 1)).ToListAsync(context.CancellationToken);
        var fit = ListingBudget.Fit(page.Take(size).Select(s => s.Subject.Metadata).ToList());
        if (fit < Math.Min(size, page.Count))
        {
            // Keep one more than fits, so that the page ends with a token at the last subject that fits.
            page.RemoveRange(fit + 1, page.Count - fit - 1);
            size = fit;
        }

        var response = new ListSubjectsResponse { Page = Paging.Next(page, size, s => s.Subject.Id) };
        response.Subjects.AddRange(page.Select(s => ToMessage(s.Subject, s.Faces)));
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

        await using var transaction = await db.Database.BeginTransactionAsync(context.CancellationToken);
        var subject = await db.Subjects.FirstOrDefaultAsync(
                s => s.Id == subjectId && s.CollectionId == collectionId && s.TenantId == tenantId, context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
        foreach (var path in paths)
        {
            switch (path)
            {
                case "display_name":
                    limits.Text(request.DisplayName, "display_name", allowEmpty: true);
                    subject.DisplayName = request.DisplayName;
                    break;
                case "metadata":
                    subject.Metadata = limits.Metadata(request.Metadata);
                    await CheckQuotaAsync(tenantId, new QuotaUse(MetadataBytes: MetadataBytes(subject.Metadata), MetadataOf: subjectId),
                        context.CancellationToken);
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{path}' cannot be updated; use display_name or metadata"));
            }
        }

        await db.SaveChangesAsync(context.CancellationToken);
        var version = await BumpAsync(tenantId, collectionId, subjects: 0, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId);
        await transaction.CommitAsync(context.CancellationToken);
        await cache.InvalidateAsync(collectionId, version);
        var faces = await db.Faces.LongCountAsync(f => f.CollectionId == collectionId && f.SubjectId == subjectId, context.CancellationToken);
        return ToMessage(subject, faces);
    }

    public override async Task<DeleteResponse> DeleteSubject(DeleteSubjectRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        var (faces, version) = await store.DeleteSubjectAsync(tenantId, collectionId, subjectId, context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
        await scans.RemoveAsync(collectionId, faces);
        await cache.InvalidateAsync(collectionId, version);
        return new DeleteResponse { DeletedSubjects = 1, DeletedFaces = faces.Count };
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
        var collection = await store.FindCollectionAsync(tenantId, collectionId, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId);
        var faces = request.Faces.Select(face => ToStore(face, collection)).ToList();
        var outcome = await store.EnrollAsync(tenantId, collection, subjectId, request.RequestId, faces, context.CancellationToken)
            ?? throw SubjectNotFound(request.SubjectId);
        telemetry.FacesEnrolled(outcome.Added, outcome.Duplicates);
        if (outcome.Added > 0)
        {
            await cache.InvalidateAsync(collectionId, outcome.Version);
        }

        var response = new EnrollResponse { Duplicates = outcome.Duplicates };
        response.Faces.AddRange(outcome.Faces.Select(ToMessage));
        return response;
    }

    public override async Task<ListFacesResponse> ListFaces(ListFacesRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        if (!await db.Subjects.AnyAsync(s => s.Id == subjectId && s.CollectionId == collectionId && s.TenantId == tenantId, context.CancellationToken))
        {
            throw SubjectNotFound(request.SubjectId);
        }

        var size = Paging.Size(request.Page);
        var faces = await store.ListFacesAsync(collectionId, subjectId, Paging.After(request.Page), size + 1, context.CancellationToken);
        var response = new ListFacesResponse { Page = Paging.Next(faces, size, f => f.Id) };
        response.Faces.AddRange(faces.Select(ToMessage));
        return response;
    }

    public override async Task<DeleteResponse> DeleteFace(DeleteFaceRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var faceId = Ids.Parse(request.FaceId, "face");
        var version = await store.DeleteFaceAsync(tenantId, collectionId, faceId, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"face '{request.FaceId}' was not found"));
        await scans.RemoveAsync(collectionId, [faceId]);
        await cache.InvalidateAsync(collectionId, version);
        return new DeleteResponse { DeletedFaces = 1 };
    }

    public override async Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        var clock = Stopwatch.StartNew();
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
        var collection = await store.FindCollectionAsync(tenantId, collectionId, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId);
        var threshold = request.HasThreshold ? request.Threshold : options.Value.ThresholdFor(collection.ModelId);
        if (threshold is < -1 or > 1 || float.IsNaN(threshold))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "threshold must be a cosine similarity in [-1, 1]"));
        }

        var queries = request.Queries.Select(q => Embeddings.ToStored(q, collection.ModelId, collection.Dimension)).ToList();
        var efSearch = request.HasEfSearch ? request.EfSearch : options.Value.EfSearch;
        if (efSearch is < 1 or > 1000)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "ef_search must be between 1 and 1000"));
        }

        var rerank = request.HasRerankCandidates ? request.RerankCandidates : options.Value.RerankCandidates;
        if (rerank is < 1 or > 1000)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "rerank_candidates must be between 1 and 1000"));
        }

        var key = Embeddings.AnswerKey(queries, topK, threshold, efSearch, rerank);
        SearchResponse? cached;
        using (var span = telemetry.StartSearchStage("cache_lookup", queries.Count))
        {
            cached = await cache.GetSearchAsync(collectionId, collection.Version, key);
            span?.SetTag(IdentityTelemetry.CacheResultAttribute, cached is not null ? "hit" : cache.Usable ? "miss" : "bypass");
        }

        if (cached is not null)
        {
            telemetry.SearchCompleted(clock.Elapsed, CacheResult.Hit);
            return cached;
        }

        // pgvector's ef_search stops at 1000, and an HNSW scan returns at most ef_search rows.
        var limit = Math.Min(topK * options.Value.CandidatesPerSubject, 1000);
        // Spans: the candidate scan (in-memory codes; with the code index, PostgreSQL finds and re-ranks in one query,
        // which is the rerank span alone) and the exact re-rank.
        var scan = await scans.ForSearchAsync(collection, context.CancellationToken);
        List<FaceCandidate>[] nearest;
        if (scan is not null)
        {
            List<Guid[]> candidates;
            using (telemetry.StartSearchStage("candidates", queries.Count))
            {
                candidates = queries.Select(q => scan.Nearest(CodeScan.Pack(collection.Hash.Code(q.Memory.Span)), Math.Max(rerank, limit))).ToList();
            }

            using var span = telemetry.StartSearchStage("rerank", queries.Count);
            span?.SetTag(IdentityTelemetry.SearchPathAttribute, "scan");
            nearest = await store.RerankAsync(collection, queries, candidates, limit, context.CancellationToken);
        }
        else
        {
            using var span = telemetry.StartSearchStage("rerank", queries.Count);
            span?.SetTag(IdentityTelemetry.SearchPathAttribute, "index");
            nearest = await store.NearestAsync(collection, queries, limit, rerank, efSearch, options.Value.IvfProbes, context.CancellationToken);
        }

        telemetry.CandidatesFrom(scan is not null);
        var response = new SearchResponse { Threshold = threshold, CollectionVersion = collection.Version };
        response.Results.AddRange(nearest.Select(candidates => SubjectRanking.Rank(candidates, topK, threshold)));
        var unknown = response.Results.Count(r => r.Unknown);
        telemetry.QueriesSearched(response.Results.Count - unknown, unknown);
        cache.StoreSearch(collectionId, collection.Version, key, response);
        telemetry.SearchCompleted(clock.Elapsed, cache.Usable ? CacheResult.Miss : CacheResult.Bypass);
        return response;
    }

    public override async Task<VerifyEmbeddingResponse> Verify(VerifyEmbeddingRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var subjectId = Ids.Parse(request.SubjectId, "subject");
        var collection = await store.FindCollectionAsync(tenantId, collectionId, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId);
        if (!await db.Subjects.AnyAsync(s => s.Id == subjectId && s.CollectionId == collectionId && s.TenantId == tenantId, context.CancellationToken))
        {
            throw SubjectNotFound(request.SubjectId);
        }

        var threshold = request.HasThreshold ? request.Threshold : options.Value.ThresholdFor(collection.ModelId);
        var query = Embeddings.ToStored(request.Embedding, collection.ModelId, collection.Dimension);
        var (faceId, similarity) = await store.BestFaceAsync(collection, subjectId, query, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"subject '{request.SubjectId}' has no enrolled faces"));
        return new VerifyEmbeddingResponse
        {
            Similarity = similarity,
            Threshold = threshold,
            Match = similarity >= threshold,
            FaceId = faceId.ToString(),
        };
    }

    /// <summary>Raises the collection's version (and subject count) in the current transaction; null when not found.</summary>
    private async Task<long?> BumpAsync(Guid tenantId, Guid collectionId, long subjects, CancellationToken cancellationToken)
    {
        var updated = await db.Collections.Where(c => c.Id == collectionId && c.TenantId == tenantId)
            .ExecuteUpdateAsync(set => set
                .SetProperty(c => c.Version, c => c.Version + 1)
                .SetProperty(c => c.SubjectCount, c => c.SubjectCount + subjects), cancellationToken);
        if (updated == 0)
        {
            return null;
        }

        return await db.Collections.Where(c => c.Id == collectionId).Select(c => c.Version).FirstAsync(cancellationToken);
    }

    private IQueryable<SubjectWithFaces> SubjectsWithFaceCounts(IQueryable<SubjectEntity> subjects) =>
        subjects.AsNoTracking().Select(s => new SubjectWithFaces(
            s, db.Faces.LongCount(f => f.CollectionId == s.CollectionId && f.SubjectId == s.Id)));

    private static FaceToStore ToStore(FaceToEnroll face, CollectionInfo collection)
    {
        var sha = face.ImageSha256;
        if (sha.Length is not (0 or 64) || !sha.All(char.IsAsciiHexDigitLower))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "image_sha256 must be 64 lower-case hex digits (or empty)"));
        }

        var box = face.Box ?? new Box();
        var embedding = Embeddings.ToStored(face.Embedding, collection.ModelId, collection.Dimension);
        return new FaceToStore(embedding, collection.Hash.Code(embedding.Memory.Span), face.Quality,
            box.X, box.Y, box.Width, box.Height, sha);
    }

    /// <summary>Checks a write against the tenant's quotas in the current transaction (before the version bump).</summary>
    private Task CheckQuotaAsync(Guid tenantId, QuotaUse use, CancellationToken cancellationToken) =>
        quotas.CheckAsync((NpgsqlConnection)db.Database.GetDbConnection(),
            (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction(), tenantId, use, cancellationToken);

    /// <summary>Metadata bytes a write adds; an empty object counts as none.</summary>
    private static long MetadataBytes(string json) => json == "{}" ? 0 : System.Text.Encoding.UTF8.GetByteCount(json);

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

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

    private sealed record SubjectWithFaces(SubjectEntity Subject, long Faces);
}
