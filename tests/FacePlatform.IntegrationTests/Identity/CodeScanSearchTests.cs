using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Identity.Search;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>
/// Search through the in-memory copies of collections' codes (Search/CodeScans.cs) against the HNSW code index, and
/// the copies following changes made through another instance of the service (two instances on one database), and
/// collections without a code index (Identity:HnswM 0).
/// </summary>
public sealed class CodeScanSearchTests(IdentityServiceFixture identity) : IClassFixture<IdentityServiceFixture>
{
    private IdentityService.IdentityServiceClient Client => identity.Client;

    [Fact]
    public async Task The_copy_follows_enrolments_and_deletions_made_through_another_instance()
    {
        var (tenant, collection, people) = await GalleryAsync(seed: 31, subjects: 20);
        await using var other = IdentityServiceFixture.Start(identity.Database, identity.Servers.Redis);
        var (otherClient, otherHttp) = await IdentityServiceFixture.ConnectAsync(other);
        using var _ = otherHttp;
        var random = new Random(32);
        var first = await Client.SearchAsync(tenant, collection, Galleries.FaceOf(people[0].Centre, random));
        var held = Scans(identity.Services).Faces;

        // Through the other instance: a new person, and the first person deleted.
        var newcomer = Galleries.RandomUnit(random);
        var added = (await otherClient.NewSubjectAsync(tenant, collection, "newcomer")).Id;
        await otherClient.EnrollAsync(tenant, collection, added, [Galleries.FaceOf(newcomer, random)]);
        await otherClient.DeleteSubjectAsync(new DeleteSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = people[0].Id });
        var foundNew = await Client.SearchAsync(tenant, collection, Galleries.FaceOf(newcomer, random));
        var deleted = await Client.SearchAsync(tenant, collection, Galleries.FaceOf(people[0].Centre, random));
        var others = await Client.SearchAsync(tenant, collection, Galleries.FaceOf(people[1].Centre, random));

        Assert.Equal(people[0].Id, first.Results[0].Matches[0].SubjectId);
        Assert.True(held >= 60, $"the instance holds {held} codes after searching a 60-face collection");
        Assert.Equal(added, foundNew.Results[0].Matches[0].SubjectId);
        Assert.True(deleted.Results[0].Unknown, $"the deleted subject was answered: {deleted.Results[0]}");
        Assert.Equal(people[1].Id, others.Results[0].Matches[0].SubjectId);
    }

    [Fact]
    public async Task Scanning_the_copy_and_walking_the_code_index_give_the_same_answers()
    {
        await using var indexOnly = IdentityServiceFixture.Start(
            identity.Database, identity.Servers.Redis, ("Identity:ScanMemoryMegabytes", "0"), ("Identity:HnswM", "32"));
        var (indexClient, indexHttp) = await IdentityServiceFixture.ConnectAsync(indexOnly);
        using var _ = indexHttp;
        var (tenant, collection, people) = await GalleryAsync(seed: 41, subjects: 30, indexClient);

        await AssertSameAnswersAsync(Client, indexClient, tenant, collection, people, every: 3, new Random(42));
        Assert.Equal(0, Scans(indexOnly.Services).Faces);
        Assert.True(Scans(identity.Services).Faces >= 90);
    }

    [Fact]
    public async Task A_collection_above_the_inline_size_is_read_in_the_background_while_the_index_answers()
    {
        await using var background = IdentityServiceFixture.Start(
            identity.Database, identity.Servers.Redis, ("Identity:ScanInlineLoadFaces", "0"), ("Identity:HnswM", "32"), ("Identity:ScanWarmup", "false"));
        var (client, http) = await IdentityServiceFixture.ConnectAsync(background);
        using var _ = http;
        var (tenant, collection, people) = await GalleryAsync(seed: 51, subjects: 10, client);
        var random = new Random(52);
        var scans = Scans(background.Services);

        var fromIndex = await client.SearchAsync(tenant, collection, Galleries.FaceOf(people[2].Centre, random), threshold: 0.31f);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (scans.Faces == 0 && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        var fromScan = await client.SearchAsync(tenant, collection, Galleries.FaceOf(people[2].Centre, random), threshold: 0.32f);

        Assert.Equal(people[2].Id, fromIndex.Results[0].Matches[0].SubjectId);
        Assert.Equal(30, scans.Faces);
        Assert.Equal(people[2].Id, fromScan.Results[0].Matches[0].SubjectId);
    }

    [Fact]
    public async Task A_collection_without_a_code_index_is_searched_by_the_scan_and_exactly_without_it()
    {
        await using var unindexed = IdentityServiceFixture.Start(
            identity.Database, identity.Servers.Redis, ("Identity:HnswM", "0"), ("Identity:ScanWarmup", "false"));
        var (client, http) = await IdentityServiceFixture.ConnectAsync(unindexed);
        using var _ = http;
        await using var noScan = IdentityServiceFixture.Start(identity.Database, identity.Servers.Redis, ("Identity:ScanMemoryMegabytes", "0"));
        var (noScanClient, noScanHttp) = await IdentityServiceFixture.ConnectAsync(noScan);
        using var __ = noScanHttp;
        var (tenant, collection, people) = await GalleryAsync(seed: 61, subjects: 12, client);

        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using var indexes = new NpgsqlCommand(
            $"SELECT count(*) FROM pg_indexes WHERE tablename = 'faces_{Guid.Parse(collection):N}' AND indexdef LIKE '%hnsw%'", connection);
        var hnswIndexes = (long)(await indexes.ExecuteScalarAsync())!;
        await AssertSameAnswersAsync(client, noScanClient, tenant, collection, people, every: 4, new Random(62));

        Assert.Equal(0, hnswIndexes);
        Assert.Equal(36, Scans(unindexed.Services).Faces);
    }

    [Fact]
    public async Task A_starting_instance_reads_the_collections_before_their_first_search()
    {
        var (tenant, collection, people) = await GalleryAsync(seed: 71, subjects: 8);
        await using var starting = IdentityServiceFixture.Start(identity.Database, identity.Servers.Redis);
        var (client, http) = await IdentityServiceFixture.ConnectAsync(starting);
        using var _ = http;
        var scans = Scans(starting.Services);
        var id = Guid.Parse(collection);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!scans.Holds(id) && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        var heldBeforeSearching = scans.Holds(id);
        var found = await client.SearchAsync(tenant, collection, Galleries.FaceOf(people[5].Centre, new Random(72)), threshold: 0.33f);

        Assert.True(heldBeforeSearching, "the starting instance did not read the collection's codes within 20 s of starting");
        Assert.True(scans.Faces >= 24, $"the starting instance holds {scans.Faces} codes; the collection alone has 24");
        Assert.Equal(people[5].Id, found.Results[0].Matches[0].SubjectId);
    }

    /// <summary>
    /// Searches every <paramref name="every"/>-th person through a scanning instance and another one: the scanning one
    /// finds the person first, and both give the same subjects and faces in the same order. Different thresholds keep
    /// the shared Redis cache from answering the second instance.
    /// </summary>
    private static async Task AssertSameAnswersAsync(
        IdentityService.IdentityServiceClient scanning, IdentityService.IdentityServiceClient other, string tenant, string collection,
        List<(string Id, float[] Centre)> people, int every, Random random)
    {
        for (var p = 0; p < people.Count; p += every)
        {
            var probe = Galleries.FaceOf(people[p].Centre, random);
            var scanned = await scanning.SearchAsync(tenant, collection, probe, threshold: 0.3f);
            var answered = await other.SearchAsync(tenant, collection, probe, threshold: 0.3001f);

            Assert.Equal(people[p].Id, scanned.Results[0].Matches[0].SubjectId);
            Assert.Equal(scanned.Results[0].Matches.Select(m => (m.SubjectId, m.FaceId)), answered.Results[0].Matches.Select(m => (m.SubjectId, m.FaceId)));
        }
    }

    private static CodeScans Scans(IServiceProvider services) => services.GetRequiredService<CodeScans>();

    /// <summary>A collection of <paramref name="subjects"/> people with three faces each.</summary>
    private async Task<(string Tenant, string Collection, List<(string Id, float[] Centre)> People)> GalleryAsync(
        int seed, int subjects, IdentityService.IdentityServiceClient? through = null)
    {
        var client = through ?? Client;
        var tenant = await identity.NewTenantAsync();
        var collection = (await client.NewCollectionAsync(tenant)).Id;
        var random = new Random(seed);
        var people = new List<(string Id, float[] Centre)>();
        for (var p = 0; p < subjects; p++)
        {
            var centre = Galleries.RandomUnit(random);
            var id = (await client.NewSubjectAsync(tenant, collection, $"person-{p}")).Id;
            await client.EnrollAsync(tenant, collection, id, Enumerable.Range(0, 3).Select(_ => Galleries.FaceOf(centre, random)));
            people.Add((id, centre));
        }

        return (tenant, collection, people);
    }
}
