using System.Diagnostics;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Search;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FacePlatform.Identity.Galleries;

/// <summary>A checked search: the handler has validated the counts and ranges; null values take the service's defaults.</summary>
internal sealed record SearchInput(
    Guid Tenant, Guid Collection, IReadOnlyList<Embedding> Queries, int TopK, float? Threshold, int? EfSearch, int? Rerank);

/// <summary>Search of a gallery by embeddings: one entry point, whichever candidate source serves the collection.</summary>
internal interface IGallerySearch
{
    /// <summary>The best subjects of every query; NOT_FOUND when the collection is not the tenant's.</summary>
    Task<SearchResponse> SearchAsync(SearchInput input, CancellationToken cancellationToken);
}

/// <summary>A collection found for a read, with the database the rest of the read should use.</summary>
internal sealed record FoundCollection(CollectionInfo Info, ReadTarget Target);

/// <summary>Finds a tenant's collection on the database its reads should use (the replica when it is current enough).</summary>
internal interface ICollectionFinder
{
    Task<FoundCollection?> FindAsync(Guid tenant, Guid collection, CancellationToken cancellationToken);

    /// <summary>The other database when <paramref name="failed"/> could not be reached (primary ↔ replica); null otherwise.</summary>
    ReadTarget? FallbackAfter(ReadTarget failed, Exception error);
}

/// <summary>Cached search answers (Redis, <see cref="Caching.GalleryCache"/>), keyed by collection version.</summary>
internal interface ISearchAnswers
{
    bool Usable { get; }

    Task<SearchResponse?> GetSearchAsync(Guid collection, long version, string queryHash);

    void StoreSearch(Guid collection, long version, string queryHash, SearchResponse answer);
}

/// <summary>
/// The search seam: looks the collection up (on the read replica when it may), answers from the cache when it can,
/// else asks the candidate sources <see cref="SearchPlanner"/> chooses for the collection — in-memory code scan,
/// pgvector code index, exact sort — in order until one answers, starts a background code index build when the plan
/// asks for one, ranks the candidates by subject and caches the answer. The chosen source and its reason are counted
/// (<c>faceplatform_search_candidates_total{path,reason}</c>) and returned in <see cref="SearchResponse.Debug"/>.
/// </summary>
internal sealed class GallerySearch(
    ICollectionFinder collections,
    ISearchAnswers answers,
    IEnumerable<ICandidateSource> sources,
    ICodeIndexes indexes,
    IdentityTelemetry telemetry,
    IOptions<IdentityOptions> options) : IGallerySearch
{
    private readonly Dictionary<CandidateSourceKind, ICandidateSource> _sources = sources.ToDictionary(s => s.Kind);

    public async Task<SearchResponse> SearchAsync(SearchInput input, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var settings = options.Value;
        var (collection, target) = await collections.FindAsync(input.Tenant, input.Collection, cancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"collection '{input.Collection}' was not found"));
        var threshold = input.Threshold ?? settings.ThresholdFor(collection.ModelId);
        var efSearch = input.EfSearch ?? settings.EfSearch;
        var rerank = input.Rerank ?? settings.RerankCandidates;
        var queries = input.Queries.Select(q => Embeddings.ToStored(q, collection.ModelId, collection.Dimension)).ToList();
        var key = Embeddings.AnswerKey(queries, input.TopK, threshold, efSearch, rerank);
        SearchResponse? cached;
        using (var span = telemetry.StartSearchStage("cache_lookup", queries.Count))
        {
            cached = await answers.GetSearchAsync(collection.Id, collection.Version, key);
            span?.SetTag(IdentityTelemetry.CacheResultAttribute, cached is not null ? "hit" : answers.Usable ? "miss" : "bypass");
        }

        if (cached is not null)
        {
            telemetry.SearchCompleted(clock.Elapsed, CacheResult.Hit);
            cached.Debug = new SearchDebug
            {
                CandidateSource = "cache", Reason = "cached", CollectionFaces = collection.FaceCount, FromReplica = target.Replica,
            };
            return cached;
        }

        var plan = Planner(settings).Plan(new CollectionShape(
            collection.FaceCount, collection.CodeBits, await indexes.HasIndexAsync(collection, target, cancellationToken)));
        if (plan.BuildCodeIndex)
        {
            indexes.BuildInBackground(collection);
        }

        // pgvector's ef_search stops at 1000, and an HNSW scan returns at most ef_search rows.
        var limit = Math.Min(input.TopK * settings.CandidatesPerSubject, 1000);
        var request = new CandidateRequest(collection, queries, limit, rerank, efSearch, plan.WaitForScan, target);
        foreach (var step in plan.Steps)
        {
            List<FaceCandidate>[]? nearest;
            try
            {
                nearest = await _sources[step.Kind].FindAsync(request, cancellationToken);
            }
            catch (Exception error) when (collections.FallbackAfter(request.Target, error) is { } other)
            {
                // The database died under this search: the same step once more on the other one.
                request = request with { Target = other };
                target = other;
                nearest = await _sources[step.Kind].FindAsync(request, cancellationToken);
            }

            if (nearest is null)
            {
                continue;
            }

            telemetry.CandidatesFrom(step.Kind, step.Reason);
            var response = new SearchResponse { Threshold = threshold, CollectionVersion = collection.Version };
            response.Results.AddRange(nearest.Select(candidates => SubjectRanking.Rank(candidates, input.TopK, threshold)));
            var unknown = response.Results.Count(r => r.Unknown);
            telemetry.QueriesSearched(response.Results.Count - unknown, unknown);
            // Cached without the debug info: a later hit says it came from the cache.
            answers.StoreSearch(collection.Id, collection.Version, key, response);
            telemetry.SearchCompleted(clock.Elapsed, answers.Usable ? CacheResult.Miss : CacheResult.Bypass);
            var answered = response.Clone();
            answered.Debug = new SearchDebug
            {
                CandidateSource = IdentityTelemetry.PathName(step.Kind),
                Reason = IdentityTelemetry.ReasonName(step.Reason),
                CollectionFaces = collection.FaceCount,
                FromReplica = target.Replica,
            };
            return answered;
        }

        // Every plan ends with a source that always answers (code index or exact); reaching here is a planner bug.
        throw new InvalidOperationException($"no candidate source answered for collection {collection.Id}");
    }

    private static SearchPlanner Planner(IdentityOptions settings) =>
        new((long)settings.ScanMemoryMegabytes << 20, settings.ScanInlineLoadFaces, settings.ExactSearchFaces);
}
