using FacePlatform.Identity.Telemetry;
using FacePlatform.Identity.Storage;
using Microsoft.Extensions.Options;
using Pgvector;

namespace FacePlatform.Identity.Search;

/// <summary>What a candidate source is asked for one search.</summary>
/// <param name="Collection">The searched collection, as the search read it.</param>
/// <param name="Queries">The query embeddings, checked and in half precision.</param>
/// <param name="Limit">Faces per query to return, nearest first by exact cosine.</param>
/// <param name="Rerank">Faces per query taken by Hamming distance and re-ranked by exact cosine (at least <paramref name="Limit"/>).</param>
/// <param name="EfSearch">HNSW candidate list size (code index only).</param>
/// <param name="WaitForScan">Whether the scan may wait for the collection's codes to be read (<see cref="SearchPlan.WaitForScan"/>).</param>
/// <param name="Target">The database the search reads (primary or replica).</param>
internal sealed record CandidateRequest(
    CollectionInfo Collection, IReadOnlyList<HalfVector> Queries, int Limit, int Rerank, int EfSearch, bool WaitForScan, ReadTarget Target);

/// <summary>
/// One way of finding a search's nearest faces: every source returns, per query, the <see cref="CandidateRequest.Limit"/>
/// faces of highest exact cosine among those it proposes. Chosen per collection by <see cref="SearchPlanner"/>.
/// </summary>
internal interface ICandidateSource
{
    /// <summary>Which source this is.</summary>
    CandidateSourceKind Kind { get; }

    /// <summary>The nearest faces of every query, or null when this source cannot answer now (the next planned one does).</summary>
    Task<List<FaceCandidate>[]?> FindAsync(CandidateRequest request, CancellationToken cancellationToken);
}

/// <summary>The in-memory codes (<see cref="CodeScans"/>), re-ranked by exact cosine in PostgreSQL.</summary>
internal sealed partial class ScanCandidates(CodeScans scans, IdentityTelemetry telemetry, ILogger<ScanCandidates> logger) : ICandidateSource
{
    public CandidateSourceKind Kind => CandidateSourceKind.Scan;

    public async Task<List<FaceCandidate>[]?> FindAsync(CandidateRequest request, CancellationToken cancellationToken)
    {
        CodeScan? scan;
        try
        {
            scan = await scans.ForSearchAsync(request.Collection, request.WaitForScan, request.Target.Store, cancellationToken);
        }
        catch (Exception error) when (Galleries.ReadRouting.IsUnreachable(error))
        {
            // The codes could not be read (the database that holds them is down): the next planned source answers.
            LogReadFailed(logger, request.Collection.Id, error.Message);
            return null;
        }

        if (scan is null)
        {
            return null;
        }

        var collection = request.Collection;
        var take = Math.Max(request.Rerank, request.Limit);
        List<Guid[]> candidates;
        using (telemetry.StartSearchStage("candidates", request.Queries.Count))
        {
            candidates = request.Queries.Select(q => scan.Nearest(CodeScan.Pack(collection.Hash.Code(q.Memory.Span)), take)).ToList();
        }

        using var span = telemetry.StartSearchStage("rerank", request.Queries.Count);
        span?.SetTag(IdentityTelemetry.SearchPathAttribute, IdentityTelemetry.PathName(Kind));
        return await request.Target.Store.RerankAsync(collection, request.Queries, candidates, request.Limit, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the codes of collection {Collection}; searching it in PostgreSQL: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, Guid collection, string reason);
}

/// <summary>The partition's HNSW code index, re-ranked by exact cosine in the same statement.</summary>
internal sealed class CodeIndexCandidates(IOptions<IdentityOptions> options, IdentityTelemetry telemetry) : ICandidateSource
{
    public CandidateSourceKind Kind => CandidateSourceKind.CodeIndex;

    // PostgreSQL finds and re-ranks in one statement: its span is the rerank span alone.
    public async Task<List<FaceCandidate>[]?> FindAsync(CandidateRequest request, CancellationToken cancellationToken)
    {
        using var span = telemetry.StartSearchStage("rerank", request.Queries.Count);
        span?.SetTag(IdentityTelemetry.SearchPathAttribute, IdentityTelemetry.PathName(Kind));
        return await request.Target.Store.NearestAsync(request.Collection, request.Queries, request.Limit, request.Rerank, request.EfSearch,
            options.Value.IvfProbes, cancellationToken);
    }
}

/// <summary>
/// The whole partition sorted by Hamming distance (the same statement as the code index's, which PostgreSQL answers
/// with a sort when the partition has no index), re-ranked by exact cosine.
/// </summary>
internal sealed class ExactCandidates(IdentityTelemetry telemetry) : ICandidateSource
{
    public CandidateSourceKind Kind => CandidateSourceKind.Exact;

    public async Task<List<FaceCandidate>[]?> FindAsync(CandidateRequest request, CancellationToken cancellationToken)
    {
        using var span = telemetry.StartSearchStage("rerank", request.Queries.Count);
        span?.SetTag(IdentityTelemetry.SearchPathAttribute, IdentityTelemetry.PathName(Kind));
        return await request.Target.Store.NearestAsync(request.Collection, request.Queries, request.Limit, request.Rerank, efSearch: 1,
            ivfProbes: 0, cancellationToken);
    }
}
