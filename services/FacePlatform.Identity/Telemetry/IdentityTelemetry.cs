using System.Diagnostics;
using System.Diagnostics.Metrics;
using FacePlatform.ServiceDefaults.Telemetry;

namespace FacePlatform.Identity.Telemetry;

/// <summary>
/// The identity service's metrics, one <see cref="Meter"/> named <c>FacePlatform.Identity</c>, and its spans (the
/// <see cref="ActivitySource"/> of the same name). Prometheus names (the dashboards depend on them):
/// <c>faceplatform_search_duration_seconds</c>, <c>faceplatform_cache_requests_total</c>,
/// <c>faceplatform_enrolled_faces_total</c>, <c>faceplatform_search_queries_total</c>. Attribute keys are namespaced
/// <c>faceplatform.*</c> (OpenTelemetry's rule for attributes outside the semantic conventions; Prometheus shows
/// <c>faceplatform_cache_result</c>) and take bounded values.
/// </summary>
internal sealed class IdentityTelemetry : IDisposable
{
    public const string MeterName = "FacePlatform.Identity";

    /// <summary>Where a cached answer came from: hit, miss, bypass (Redis unusable).</summary>
    public const string CacheResultAttribute = "faceplatform.cache.result";

    /// <summary>What was looked up in the cache: search, subject.</summary>
    public const string CacheKindAttribute = "faceplatform.cache.kind";

    /// <summary>Where a search's candidates came from: scan (in-memory codes), index (pgvector code index), exact (a sort).</summary>
    public const string SearchPathAttribute = "faceplatform.search.path";

    /// <summary>Why the planner chose a search's candidate source (bounded set, <see cref="ReasonName"/>).</summary>
    public const string SearchReasonAttribute = "faceplatform.search.reason";

    /// <summary>Which database answered a read: <c>primary</c> or <c>replica</c>.</summary>
    public const string ReadDatabaseAttribute = "faceplatform.read.database";

    /// <summary>Why a read went where it did (bounded set of reasons, see <c>ReadRouting</c>).</summary>
    public const string ReadReasonAttribute = "faceplatform.read.reason";

    /// <summary>Outcome of a background code index build.</summary>
    public const string CodeIndexResultAttribute = "faceplatform.code_index.result";

    /// <summary>Query embeddings of one search call.</summary>
    public const string SearchQueriesAttribute = "faceplatform.search.queries";

    /// <summary>Whether a query embedding matched a subject: match, unknown.</summary>
    public const string SearchOutcomeAttribute = "faceplatform.search.outcome";

    /// <summary>What an enrolled face became: added, duplicate.</summary>
    public const string EnrolResultAttribute = "faceplatform.enrol.result";

    /// <summary>A read of codes into memory: full, increment.</summary>
    public const string CodesReadKindAttribute = "faceplatform.codes.read.kind";

    private readonly ActivitySource _activities = new(MeterName);

    private readonly Histogram<double> _searchDuration;
    private readonly Counter<long> _cacheRequests;
    private readonly Counter<long> _enrolledFaces;
    private readonly Counter<long> _searchQueries;
    private readonly Counter<long> _searchPaths;
    private readonly Histogram<double> _codeReads;
    private readonly Counter<long> _indexBuilds;
    private readonly Counter<long> _reads;

    public IdentityTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _searchDuration = meter.CreateHistogram<double>("faceplatform.search.duration", "s",
            "Duration of a Search call inside the identity service, by where the answer came from (cache=hit|miss|bypass).",
            advice: DurationBuckets.Advice(DurationBuckets.Search));
        _cacheRequests = meter.CreateCounter<long>("faceplatform.cache.requests", "{request}",
            "Redis look-ups of the identity cache by kind (search|subject) and result (hit|miss|bypass: Redis unusable).");
        _enrolledFaces = meter.CreateCounter<long>("faceplatform.enrolled.faces", "{face}",
            "Faces of Enroll calls by result (added|duplicate).");
        _searchQueries = meter.CreateCounter<long>("faceplatform.search.queries", "{query}",
            "Query embeddings searched, by outcome (match|unknown).");
        _searchPaths = meter.CreateCounter<long>("faceplatform.search.candidates", "{search}",
            "Searches answered from PostgreSQL by where their candidates came from (path=scan: the in-memory codes; " +
            "path=index: the partition's HNSW code index; path=exact: a sort of the partition) and why (reason, see SearchPlanner).");
        _indexBuilds = meter.CreateCounter<long>("faceplatform.code_index.builds", "{build}",
            "Code indexes built in the background for collections over the scan budget, by result (built|failed).");
        _reads = meter.CreateCounter<long>("faceplatform.reads", "{read}",
            "Gallery reads by the database they went to (database=primary|replica) and why (reason=replica|replica_caught_up|" +
            "replica_behind|replica_down|primary_down); only with a read replica configured.");
        _codeReads = meter.CreateHistogram<double>("faceplatform.codes.read.duration", "s",
            "Reads of a collection's codes into memory, by kind (full|increment).",
            advice: DurationBuckets.Advice(DurationBuckets.BulkRead));
    }

    /// <summary>
    /// Starts the span of one stage of a search (<c>search.cache_lookup</c>, <c>search.candidates</c>,
    /// <c>search.rerank</c>) under the gRPC call's span; null when nobody listens.
    /// </summary>
    public Activity? StartSearchStage(string stage, int queries)
    {
        var activity = _activities.StartActivity("search." + stage);
        activity?.SetTag(SearchQueriesAttribute, queries);
        return activity;
    }

    public void Dispose() => _activities.Dispose();

    public void SearchCompleted(TimeSpan elapsed, CacheResult cache) =>
        _searchDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(CacheResultAttribute, Name(cache)));

    public void CacheRequest(string kind, CacheResult result) =>
        _cacheRequests.Add(1, new KeyValuePair<string, object?>(CacheKindAttribute, kind), new KeyValuePair<string, object?>(CacheResultAttribute, Name(result)));

    public void FacesEnrolled(int added, int duplicates)
    {
        if (added > 0)
        {
            _enrolledFaces.Add(added, new KeyValuePair<string, object?>(EnrolResultAttribute, "added"));
        }

        if (duplicates > 0)
        {
            _enrolledFaces.Add(duplicates, new KeyValuePair<string, object?>(EnrolResultAttribute, "duplicate"));
        }
    }

    public void QueriesSearched(int matched, int unknown)
    {
        _searchQueries.Add(matched, new KeyValuePair<string, object?>(SearchOutcomeAttribute, "match"));
        _searchQueries.Add(unknown, new KeyValuePair<string, object?>(SearchOutcomeAttribute, "unknown"));
    }

    public void CandidatesFrom(Search.CandidateSourceKind source, Search.SourceReason reason) =>
        _searchPaths.Add(1, new KeyValuePair<string, object?>(SearchPathAttribute, PathName(source)), new KeyValuePair<string, object?>(SearchReasonAttribute, ReasonName(reason)));

    public void ReadRouted(bool replica, string reason) =>
        _reads.Add(1, new KeyValuePair<string, object?>(ReadDatabaseAttribute, replica ? "replica" : "primary"), new KeyValuePair<string, object?>(ReadReasonAttribute, reason));

    public void CodeIndexBuilt(string result, TimeSpan elapsed) =>
        _indexBuilds.Add(1, new KeyValuePair<string, object?>(CodeIndexResultAttribute, result));

    /// <summary>The <c>path</c> label (and debug name) of a candidate source; scan and index as the dashboards have them.</summary>
    public static string PathName(Search.CandidateSourceKind source) => source switch
    {
        Search.CandidateSourceKind.Scan => "scan",
        Search.CandidateSourceKind.CodeIndex => "index",
        _ => "exact",
    };

    /// <summary>The <c>reason</c> label (and debug name) of a planner's reason.</summary>
    public static string ReasonName(Search.SourceReason reason) => reason switch
    {
        Search.SourceReason.FitsScanBudget => "fits_scan_budget",
        Search.SourceReason.ScanLoading => "scan_loading",
        Search.SourceReason.OverScanBudget => "over_scan_budget",
        Search.SourceReason.SmallCollection => "small_collection",
        _ => "index_building",
    };

    public void CodeScanRead(string kind, int faces, TimeSpan elapsed) =>
        _codeReads.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(CodesReadKindAttribute, kind));

    private static string Name(CacheResult result) => result switch
    {
        CacheResult.Hit => "hit",
        CacheResult.Miss => "miss",
        _ => "bypass",
    };
}

/// <summary>What a cache look-up found.</summary>
internal enum CacheResult
{
    /// <summary>The answer came from Redis.</summary>
    Hit,

    /// <summary>Redis answered but had no entry; the answer came from PostgreSQL.</summary>
    Miss,

    /// <summary>Redis was unusable (down, timing out); the answer came from PostgreSQL.</summary>
    Bypass,
}
