using System.Collections;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Validation;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using StackExchange.Redis;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>Subjects, enrolment, search and verification through the gRPC service on real PostgreSQL and Redis.</summary>
public sealed class GalleryTests(IdentityServiceFixture identity) : IClassFixture<IdentityServiceFixture>
{
    private IdentityService.IdentityServiceClient Client => identity.Client;

    [Fact]
    public async Task Replaying_an_enrolment_request_id_adds_no_face_twice_even_concurrently()
    {
        var (tenant, collection, subject) = await NewSubjectAsync();
        var random = new Random(1);
        var faces = Enumerable.Range(0, 3).Select(_ => Galleries.RandomUnit(random)).ToList();

        var first = await Client.EnrollAsync(tenant, collection, subject, faces, requestId: "req-1");
        var replays = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Client.EnrollAsync(tenant, collection, subject, faces, requestId: "req-1")));
        var listed = await Client.ListFacesAsync(new ListFacesRequest { TenantId = tenant, CollectionId = collection, SubjectId = subject });

        Assert.Equal(0, first.Duplicates);
        Assert.Equal(3, first.Faces.Count);
        Assert.All(replays, replay =>
        {
            Assert.Equal(3, replay.Duplicates);
            Assert.Equal(first.Faces.Select(f => f.Id).Order(), replay.Faces.Select(f => f.Id).Order());
        });
        Assert.Equal(3, listed.Faces.Count);
        Assert.Equal(3, (await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = collection })).FaceCount);
    }

    [Fact]
    public async Task A_photo_the_subject_already_has_is_not_enrolled_again()
    {
        var (tenant, collection, subject) = await NewSubjectAsync();
        var random = new Random(2);

        var first = await Client.EnrollAsync(tenant, collection, subject, [Galleries.RandomUnit(random)], firstSha: 7);
        var again = await Client.EnrollAsync(tenant, collection, subject, [Galleries.RandomUnit(random), Galleries.RandomUnit(random)], firstSha: 7);
        var faces = await Client.ListFacesAsync(new ListFacesRequest { TenantId = tenant, CollectionId = collection, SubjectId = subject });

        Assert.Equal(1, again.Duplicates);
        Assert.Equal(first.Faces[0].Id, again.Faces[0].Id);
        Assert.Equal([Galleries.Sha(7), Galleries.Sha(8)], faces.Faces.Select(f => f.ImageSha256));
        Assert.All(faces.Faces, f => Assert.Equal("faceres", f.ModelId));
        Assert.Equal(30, faces.Faces[0].Box.Width);
    }

    [Fact]
    public async Task Search_answers_each_subject_once_with_its_best_face_and_unknown_below_the_threshold()
    {
        var tenant = await identity.NewTenantAsync();
        var collection = (await Client.NewCollectionAsync(tenant)).Id;
        var random = new Random(3);
        var centres = new Dictionary<string, float[]>();
        var subjects = new Dictionary<string, string>();
        foreach (var person in new[] { "ada", "bob", "cyd" })
        {
            centres[person] = Galleries.RandomUnit(random);
            subjects[person] = (await Client.NewSubjectAsync(tenant, collection, person, person.ToUpperInvariant())).Id;
            await Client.EnrollAsync(tenant, collection, subjects[person],
                Enumerable.Range(0, 4).Select(_ => Galleries.FaceOf(centres[person], random)));
        }

        var probe = Galleries.FaceOf(centres["bob"], random);
        var found = await Client.SearchAsync(tenant, collection, probe, threshold: 0.5f, topK: 3);
        var stranger = await Client.SearchAsync(tenant, collection, Galleries.RandomUnit(random), threshold: 0.5f);
        var everyone = await Client.SearchAsync(tenant, collection, probe, threshold: -1f, topK: 3);

        var result = Assert.Single(found.Results);
        var match = Assert.Single(result.Matches);
        Assert.False(result.Unknown);
        Assert.Equal(subjects["bob"], match.SubjectId);
        Assert.Equal("bob", match.ExternalId);
        Assert.Equal("BOB", match.DisplayName);
        Assert.InRange(match.Similarity, 0.5f, 1f);
        Assert.Equal(0.5f, found.Threshold);
        Assert.True(Assert.Single(stranger.Results).Unknown);
        Assert.Empty(stranger.Results[0].Matches);
        var ranked = Assert.Single(everyone.Results).Matches;
        Assert.Equal(3, ranked.Count);
        Assert.Equal(3, ranked.Select(m => m.SubjectId).Distinct().Count());
        Assert.Equal(subjects["bob"], ranked[0].SubjectId);
        Assert.True(ranked[0].Similarity >= ranked[1].Similarity && ranked[1].Similarity >= ranked[2].Similarity);
    }

    [Fact]
    public async Task An_embedding_of_another_model_or_dimension_is_a_failed_precondition()
    {
        var (tenant, collection, subject) = await NewSubjectAsync();
        var random = new Random(4);
        await Client.EnrollAsync(tenant, collection, subject, [Galleries.RandomUnit(random)]);

        var otherModel = await Assert.ThrowsAsync<RpcException>(() =>
            Client.EnrollAsync(tenant, collection, subject, [Galleries.RandomUnit(random)], modelId: "arcface"));
        var otherDimension = await Assert.ThrowsAsync<RpcException>(() =>
            Client.SearchAsync(tenant, collection, Galleries.RandomUnit(random, 512)));
        var verify = await Assert.ThrowsAsync<RpcException>(() => Client.VerifyAsync(new VerifyEmbeddingRequest
        {
            TenantId = tenant,
            CollectionId = collection,
            SubjectId = subject,
            Embedding = Galleries.Embedding(Galleries.RandomUnit(random), "mobilefacenet"),
        }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, otherModel.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, otherDimension.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, verify.StatusCode);
    }

    [Fact]
    public async Task Verify_compares_with_the_subjects_best_face()
    {
        var (tenant, collection, subject) = await NewSubjectAsync();
        var random = new Random(5);
        var centre = Galleries.RandomUnit(random);
        var enrolled = await Client.EnrollAsync(tenant, collection, subject, [Galleries.RandomUnit(random), Galleries.FaceOf(centre, random)]);

        var same = await Client.VerifyAsync(new VerifyEmbeddingRequest
        {
            TenantId = tenant, CollectionId = collection, SubjectId = subject, Embedding = Galleries.Embedding(Galleries.FaceOf(centre, random)),
        });
        var other = await Client.VerifyAsync(new VerifyEmbeddingRequest
        {
            TenantId = tenant, CollectionId = collection, SubjectId = subject, Embedding = Galleries.Embedding(Galleries.RandomUnit(random)), Threshold = 0.3f,
        });

        Assert.True(same.Match);
        Assert.Equal(enrolled.Faces[1].Id, same.FaceId);
        Assert.Equal(0.5f, same.Threshold);
        Assert.False(other.Match);
        Assert.Equal(0.3f, other.Threshold);
        Assert.InRange(other.Similarity, -0.3f, 0.3f);
    }

    [Fact]
    public async Task Subjects_are_unique_per_collection_paged_filtered_updated_and_counted()
    {
        var tenant = await identity.NewTenantAsync();
        var collection = (await Client.NewCollectionAsync(tenant)).Id;
        foreach (var name in new[] { "alice", "alfred", "bert", "Alma", "carl" })
        {
            await Client.NewSubjectAsync(tenant, collection, name, "Dr " + name);
        }

        var clash = await Assert.ThrowsAsync<RpcException>(() => Client.NewSubjectAsync(tenant, collection, "bert"));
        var filtered = await Client.ListSubjectsAsync(new ListSubjectsRequest { TenantId = tenant, CollectionId = collection, Filter = "al" });
        var seen = new List<string>();
        var token = string.Empty;
        do
        {
            var page = await Client.ListSubjectsAsync(new ListSubjectsRequest
            {
                TenantId = tenant, CollectionId = collection, Page = new PageRequest { PageSize = 2, PageToken = token },
            });
            seen.AddRange(page.Subjects.Select(s => s.ExternalId));
            token = page.Page.NextPageToken;
        }
        while (token.Length > 0);

        var alice = filtered.Subjects.First(s => s.ExternalId == "alice");
        await Client.EnrollAsync(tenant, collection, alice.Id, [Galleries.RandomUnit(new Random(6))]);
        var metadata = new Struct { Fields = { ["badge"] = Value.ForNumber(42), ["team"] = Value.ForString("red") } };
        var updated = await Client.UpdateSubjectAsync(new UpdateSubjectRequest
        {
            TenantId = tenant, CollectionId = collection, SubjectId = alice.Id, DisplayName = "Alice A.", Metadata = metadata,
            UpdateMask = new FieldMask { Paths = { "display_name", "metadata" } },
        });
        var read = await Client.GetSubjectAsync(new GetSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = alice.Id });
        var counted = await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = collection });

        Assert.Equal(StatusCode.AlreadyExists, clash.StatusCode);
        Assert.Equal(["alice", "alfred", "Alma"], filtered.Subjects.Select(s => s.ExternalId));
        Assert.Equal(["alice", "alfred", "bert", "Alma", "carl"], seen);
        Assert.Equal("Alice A.", updated.DisplayName);
        Assert.Equal(metadata, read.Metadata);
        Assert.Equal(1, read.FaceCount);
        Assert.Equal(5, counted.SubjectCount);
        Assert.Equal(1, counted.FaceCount);
    }

    [Fact]
    public async Task Deleting_a_subject_or_a_collection_deletes_the_vectors_and_says_what_went()
    {
        var (tenant, collection, subject) = await NewSubjectAsync();
        var random = new Random(7);
        var keep = (await Client.NewSubjectAsync(tenant, collection, "keep")).Id;
        await Client.EnrollAsync(tenant, collection, subject, Enumerable.Range(0, 3).Select(_ => Galleries.RandomUnit(random)));
        var kept = await Client.EnrollAsync(tenant, collection, keep, Enumerable.Range(0, 2).Select(_ => Galleries.RandomUnit(random)));

        var subjectGone = await Client.DeleteSubjectAsync(new DeleteSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = subject });
        var rowsLeft = await CountFacesAsync(Guid.Parse(subject));
        var faceGone = await Client.DeleteFaceAsync(new DeleteFaceRequest { TenantId = tenant, CollectionId = collection, FaceId = kept.Faces[0].Id });
        var counted = await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = collection });
        var collectionGone = await Client.DeleteCollectionAsync(new DeleteCollectionRequest { TenantId = tenant, CollectionId = collection });
        var listFaces = await Assert.ThrowsAsync<RpcException>(() => Client.ListFacesAsync(
            new ListFacesRequest { TenantId = tenant, CollectionId = collection, SubjectId = keep }).ResponseAsync);

        Assert.Equal(new DeleteResponse { DeletedSubjects = 1, DeletedFaces = 3 }, subjectGone);
        Assert.Equal(0, rowsLeft);
        Assert.Equal(1, faceGone.DeletedFaces);
        Assert.Equal(1, counted.SubjectCount);
        Assert.Equal(1, counted.FaceCount);
        Assert.Equal(new DeleteResponse { DeletedSubjects = 1, DeletedFaces = 1 }, collectionGone);
        Assert.Equal(StatusCode.NotFound, listFaces.StatusCode);
        Assert.Equal(0, await CountFacesAsync(Guid.Parse(keep)));
    }

    [Fact]
    public async Task A_deleted_subject_never_appears_in_a_later_answer_and_its_cached_answers_leave_redis()
    {
        var (tenant, collection, subject) = await NewSubjectAsync(externalId: "to-be-forgotten");
        var random = new Random(8);
        var centre = Galleries.RandomUnit(random);
        await Client.EnrollAsync(tenant, collection, subject, [Galleries.FaceOf(centre, random), Galleries.FaceOf(centre, random)]);
        var probe = Galleries.FaceOf(centre, random);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(identity.Servers.Redis);
        var answers = (RedisKey)$"fp:identity:{{{Guid.Parse(collection):N}}}:answers";

        var before = await Client.SearchAsync(tenant, collection, probe);
        var cachedBefore = await Client.SearchAsync(tenant, collection, probe);
        var cachedBytes = await redis.GetDatabase().HashValuesAsync(answers);
        await Client.DeleteSubjectAsync(new DeleteSubjectRequest { TenantId = tenant, CollectionId = collection, SubjectId = subject });
        var after = await Client.SearchAsync(tenant, collection, probe);
        var again = await Client.SearchAsync(tenant, collection, probe);
        var cachedAfter = await redis.GetDatabase().HashValuesAsync(answers);

        Assert.Equal(subject, before.Results[0].Matches[0].SubjectId);
        // The same answer, the second time from Redis (the debug info says where each came from).
        Assert.Equal("cache", cachedBefore.Debug.CandidateSource);
        Assert.Equal(before.Clone().WithoutDebug(), cachedBefore.Clone().WithoutDebug());
        Assert.Contains(cachedBytes, value => System.Text.Encoding.UTF8.GetString(value!).Contains("to-be-forgotten", StringComparison.Ordinal));
        Assert.True(after.Results[0].Unknown);
        Assert.True(again.Results[0].Unknown);
        Assert.True(after.CollectionVersion > before.CollectionVersion);
        Assert.DoesNotContain(cachedAfter, value => System.Text.Encoding.UTF8.GetString(value!).Contains("to-be-forgotten", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_512_d_collection_stores_and_searches_512_d_vectors()
    {
        var tenant = await identity.NewTenantAsync();
        var collection = (await Client.NewCollectionAsync(tenant, "small-model", "mobilefacenet", 512)).Id;
        var subject = (await Client.NewSubjectAsync(tenant, collection, "p")).Id;
        var random = new Random(9);
        var centre = Galleries.RandomUnit(random, 512);
        await Client.EnrollAsync(tenant, collection, subject, [Galleries.FaceOf(centre, random)], modelId: "mobilefacenet");

        var answer = await Client.SearchAsync(new SearchRequest
        {
            TenantId = tenant, CollectionId = collection, Queries = { Galleries.Embedding(Galleries.FaceOf(centre, random), "mobilefacenet") },
        });

        Assert.Equal(subject, Assert.Single(answer.Results[0].Matches).SubjectId);
    }

    [Fact]
    public async Task Faces_stored_without_a_code_are_found_again_once_the_back_fill_gives_them_the_code_enrolment_made()
    {
        var (tenant, collection, subject) = await NewSubjectAsync();
        var random = new Random(10);
        var centre = Galleries.RandomUnit(random);
        await Client.EnrollAsync(tenant, collection, subject, [Galleries.FaceOf(centre, random), Galleries.FaceOf(centre, random)]);
        var enrolled = await CodesAsync(Guid.Parse(subject));
        await ExecuteAsync($"UPDATE faces SET \"Code\" = NULL WHERE \"SubjectId\" = '{subject}'");
        var cleared = await CodesAsync(Guid.Parse(subject));

        var builder = new NpgsqlDataSourceBuilder(identity.Database);
        builder.UseVector();
        await using var dataSource = builder.Build();
        var filled = await new GalleryStore(dataSource, new TenantQuotas(Microsoft.Extensions.Options.Options.Create(new QuotaOptions()))).BackfillCodesAsync(1, CancellationToken.None);
        var withCodes = await Client.SearchAsync(tenant, collection, Galleries.FaceOf(centre, random), threshold: -1f);

        Assert.All(cleared.Values, Assert.Null);
        Assert.True(filled >= 2, $"filled {filled}");
        var backfilled = await CodesAsync(Guid.Parse(subject));
        Assert.Equal(2, enrolled.Count);
        Assert.All(enrolled, e =>
        {
            var code = Assert.IsType<BitArray>(backfilled[e.Key]);
            Assert.Equal(1024, code.Length);
            Assert.Equal(Assert.IsType<BitArray>(e.Value).Cast<bool>(), code.Cast<bool>());
        });
        Assert.Equal(subject, Assert.Single(withCodes.Results).Matches[0].SubjectId);
    }

    private async Task<Dictionary<Guid, BitArray?>> CodesAsync(Guid subject)
    {
        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"Id\", \"Code\" FROM faces WHERE \"SubjectId\" = @s", connection);
        command.Parameters.AddWithValue("s", subject);
        var codes = new Dictionary<Guid, BitArray?>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            codes[reader.GetGuid(0)] = reader.IsDBNull(1) ? null : reader.GetFieldValue<BitArray>(1);
        }

        return codes;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<(string Tenant, string Collection, string Subject)> NewSubjectAsync(string externalId = "person")
    {
        var tenant = await identity.NewTenantAsync();
        var collection = (await Client.NewCollectionAsync(tenant)).Id;
        var subject = (await Client.NewSubjectAsync(tenant, collection, externalId)).Id;
        return (tenant, collection, subject);
    }

    private async Task<long> CountFacesAsync(Guid subject)
    {
        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM faces WHERE \"SubjectId\" = @s", connection);
        count.Parameters.AddWithValue("s", subject);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
