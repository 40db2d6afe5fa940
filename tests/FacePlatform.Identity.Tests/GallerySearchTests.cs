using System.Diagnostics.Metrics;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Galleries;
using FacePlatform.Identity.Search;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using FacePlatform.Identity.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FacePlatform.Identity.Tests;

/// <summary>
/// The search seam's orchestration with fakes for everything behind it: which candidate source answers, the cache in
/// front of them, the background index build, and what metrics and the answer's debug info say about the choice.
/// </summary>
public sealed class GallerySearchTests : IDisposable
{
    private const int Dimension = 8;
    private static readonly Guid Tenant = Guid.CreateVersion7();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Path, string Reason)> _paths = [];
    private readonly Answers _answers = new();
    private readonly Indexes _indexes = new();

    public GallerySearchTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == IdentityTelemetry.MeterName && instrument.Name == "faceplatform.search.candidates")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? path = null, reason = null;
            foreach (var tag in tags)
            {
                path = tag.Key == IdentityTelemetry.SearchPathAttribute ? (string?)tag.Value : path;
                reason = tag.Key == IdentityTelemetry.SearchReasonAttribute ? (string?)tag.Value : reason;
            }

            lock (_paths)
            {
                _paths.Add((path ?? "?", reason ?? "?"));
            }
        });
        _listener.Start();
    }

    [Fact]
    public async Task A_collection_within_the_budget_is_answered_by_the_scan_and_then_from_the_cache()
    {
        var collection = Collection(faces: 1_000);
        var scan = new Source(CandidateSourceKind.Scan, Candidates("scanned"));
        var exact = new Source(CandidateSourceKind.Exact, Candidates("sorted"));
        var search = Search(collection, scan, exact, new Source(CandidateSourceKind.CodeIndex, null));

        var first = await search.SearchAsync(Input(collection), CancellationToken.None);
        var second = await search.SearchAsync(Input(collection), CancellationToken.None);

        Assert.Equal("scanned", first.Results[0].Matches[0].ExternalId);
        Assert.Equal(("scan", "fits_scan_budget"), (first.Debug.CandidateSource, first.Debug.Reason));
        Assert.Equal(1_000, first.Debug.CollectionFaces);
        Assert.Equal(1, scan.Calls);
        Assert.True(scan.LastRequest!.WaitForScan);
        Assert.Equal(0, exact.Calls);
        Assert.Equal("scanned", second.Results[0].Matches[0].ExternalId);
        Assert.Equal(("cache", "cached"), (second.Debug.CandidateSource, second.Debug.Reason));
        Assert.Equal([("scan", "fits_scan_budget")], _paths);
        Assert.Null(_answers.Stored.Single().Debug);
        Assert.Empty(_indexes.Built);
    }

    [Fact]
    public async Task While_a_large_collection_s_codes_load_its_code_index_answers()
    {
        var collection = Collection(faces: 60_000);
        _indexes.Present = true;
        var scan = new Source(CandidateSourceKind.Scan, null);
        var index = new Source(CandidateSourceKind.CodeIndex, Candidates("walked"));
        var search = Search(collection, scan, index, new Source(CandidateSourceKind.Exact, null));

        var answer = await search.SearchAsync(Input(collection), CancellationToken.None);

        Assert.Equal(1, scan.Calls);
        Assert.False(scan.LastRequest!.WaitForScan);
        Assert.Equal("walked", answer.Results[0].Matches[0].ExternalId);
        Assert.Equal(("index", "scan_loading"), (answer.Debug.CandidateSource, answer.Debug.Reason));
        Assert.Equal([("index", "scan_loading")], _paths);
    }

    [Fact]
    public async Task A_large_collection_over_the_budget_without_an_index_gets_one_built_and_says_it_is_sorted_meanwhile()
    {
        var collection = Collection(faces: 30_000);
        var scan = new Source(CandidateSourceKind.Scan, Candidates("never"));
        var exact = new Source(CandidateSourceKind.Exact, Candidates("sorted"));
        var search = Search(collection, scan, exact, new Source(CandidateSourceKind.CodeIndex, null), scanMegabytes: 1);

        var answer = await search.SearchAsync(Input(collection), CancellationToken.None);

        Assert.Equal(0, scan.Calls);
        Assert.Equal("sorted", answer.Results[0].Matches[0].ExternalId);
        Assert.Equal(("exact", "index_building"), (answer.Debug.CandidateSource, answer.Debug.Reason));
        Assert.Equal([collection.Id], _indexes.Built);
        Assert.Equal([("exact", "index_building")], _paths);
    }

    [Fact]
    public async Task Over_the_budget_with_an_index_the_index_answers_and_nothing_is_built()
    {
        var collection = Collection(faces: 30_000);
        _indexes.Present = true;
        var index = new Source(CandidateSourceKind.CodeIndex, Candidates("walked"));
        var search = Search(collection, new Source(CandidateSourceKind.Scan, null), index, new Source(CandidateSourceKind.Exact, null), scanMegabytes: 1);

        var answer = await search.SearchAsync(Input(collection, efSearch: 300, rerank: 64), CancellationToken.None);

        Assert.Equal(("index", "over_scan_budget"), (answer.Debug.CandidateSource, answer.Debug.Reason));
        Assert.Equal((300, 64), (index.LastRequest!.EfSearch, index.LastRequest.Rerank));
        Assert.Empty(_indexes.Built);
    }

    [Fact]
    public async Task An_unknown_collection_is_not_found_and_no_source_is_asked()
    {
        var scan = new Source(CandidateSourceKind.Scan, Candidates("never"));
        var search = Search(null, scan, new Source(CandidateSourceKind.CodeIndex, null), new Source(CandidateSourceKind.Exact, null));

        var error = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => search.SearchAsync(Input(Collection(1)), CancellationToken.None));

        Assert.Equal(global::Grpc.Core.StatusCode.NotFound, error.StatusCode);
        Assert.Equal(0, scan.Calls);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    private GallerySearch Search(CollectionInfo? collection, ICandidateSource a, ICandidateSource b, ICandidateSource c, int scanMegabytes = 64)
    {
        var options = Options.Create(new IdentityOptions { ScanMemoryMegabytes = scanMegabytes, DefaultDimension = Dimension });
        return new GallerySearch(new Finder(collection), _answers, [a, b, c], _indexes,
            new IdentityTelemetry(_services.GetRequiredService<IMeterFactory>()), options);
    }

    private static CollectionInfo Collection(long faces) => new(Guid.CreateVersion7(), "test", Dimension, 64, Version: 3, faces);

    private static SearchInput Input(CollectionInfo collection, int? efSearch = null, int? rerank = null)
    {
        var query = new Embedding { ModelId = "test" };
        query.Values.AddRange(Enumerable.Range(1, Dimension).Select(i => (float)i));
        return new SearchInput(Tenant, collection.Id, [query], TopK: 1, Threshold: 0.5f, efSearch, rerank);
    }

    private static List<FaceCandidate>[] Candidates(string externalId) =>
        [[new FaceCandidate(Guid.CreateVersion7(), Guid.CreateVersion7(), externalId, "", 0.9f)]];

    /// <summary>A read target nothing reads from: the fakes never touch its database.</summary>
    private static ReadTarget Unused()
    {
        var source = NpgsqlDataSource.Create("Host=unused.invalid");
        return new ReadTarget(new GalleryStore(source, new TenantQuotas(Options.Create(new QuotaOptions()))), false, ReadRouting.Options(source));
    }

    private sealed class Finder(CollectionInfo? collection) : ICollectionFinder
    {
        private readonly ReadTarget _target = Unused();

        public Task<FoundCollection?> FindAsync(Guid tenant, Guid id, CancellationToken cancellationToken) =>
            Task.FromResult(collection is not null && collection.Id == id ? new FoundCollection(collection, _target) : null);

        public ReadTarget? FallbackAfter(ReadTarget failed, Exception error) => null;
    }

    private sealed class Source(CandidateSourceKind kind, List<FaceCandidate>[]? answer) : ICandidateSource
    {
        public int Calls { get; private set; }

        public CandidateRequest? LastRequest { get; private set; }

        public CandidateSourceKind Kind => kind;

        public Task<List<FaceCandidate>[]?> FindAsync(CandidateRequest request, CancellationToken cancellationToken)
        {
            Calls++;
            LastRequest = request;
            return Task.FromResult(answer);
        }
    }

    private sealed class Answers : ISearchAnswers
    {
        private readonly Dictionary<string, SearchResponse> _stored = [];

        public List<SearchResponse> Stored => [.. _stored.Values];

        public bool Usable => true;

        public Task<SearchResponse?> GetSearchAsync(Guid collection, long version, string queryHash) =>
            Task.FromResult(_stored.TryGetValue($"{collection}:{version}:{queryHash}", out var found) ? found.Clone() : null);

        public void StoreSearch(Guid collection, long version, string queryHash, SearchResponse answer) =>
            _stored[$"{collection}:{version}:{queryHash}"] = answer.Clone();
    }

    private sealed class Indexes : ICodeIndexes
    {
        public bool Present { get; set; }

        public List<Guid> Built { get; } = [];

        public Task<bool> HasIndexAsync(CollectionInfo collection, ReadTarget target, CancellationToken cancellationToken) => Task.FromResult(Present);

        public void BuildInBackground(CollectionInfo collection) => Built.Add(collection.Id);
    }
}
