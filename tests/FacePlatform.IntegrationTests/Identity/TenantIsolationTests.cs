using FacePlatform.Contracts.Internal.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>Tenant B cannot see, search, verify, change or delete anything of tenant A: it is all NOT_FOUND.</summary>
public sealed class TenantIsolationTests(IdentityServiceFixture identity) : IClassFixture<IdentityServiceFixture>
{
    private IdentityService.IdentityServiceClient Client => identity.Client;

    [Fact]
    public async Task Another_tenant_cannot_reach_a_collection_its_subjects_or_its_faces()
    {
        var owner = await identity.NewTenantAsync();
        var stranger = await identity.NewTenantAsync();
        var collection = (await Client.NewCollectionAsync(owner, "secret")).Id;
        var subject = (await Client.NewSubjectAsync(owner, collection, "vip", "Very Important")).Id;
        var random = new Random(11);
        var centre = Galleries.RandomUnit(random);
        var face = (await Client.EnrollAsync(owner, collection, subject, [Galleries.FaceOf(centre, random)])).Faces[0].Id;
        var probe = Galleries.Embedding(Galleries.FaceOf(centre, random));
        // The stranger's own collection with the same name: ids, not names, decide.
        await Client.NewCollectionAsync(stranger, "secret");

        var attempts = new Dictionary<string, Func<Task>>
        {
            ["get collection"] = () => Client.GetCollectionAsync(new GetCollectionRequest { TenantId = stranger, CollectionId = collection }).ResponseAsync,
            ["update collection"] = () => Client.UpdateCollectionAsync(new UpdateCollectionRequest
            {
                TenantId = stranger, CollectionId = collection, Name = "mine", UpdateMask = new FieldMask { Paths = { "name" } },
            }).ResponseAsync,
            ["create subject"] = () => Client.CreateSubjectAsync(new CreateSubjectRequest { TenantId = stranger, CollectionId = collection, ExternalId = "x" }).ResponseAsync,
            ["get subject"] = () => Client.GetSubjectAsync(new GetSubjectRequest { TenantId = stranger, CollectionId = collection, SubjectId = subject }).ResponseAsync,
            ["list subjects"] = () => Client.ListSubjectsAsync(new ListSubjectsRequest { TenantId = stranger, CollectionId = collection }).ResponseAsync,
            ["update subject"] = () => Client.UpdateSubjectAsync(new UpdateSubjectRequest
            {
                TenantId = stranger, CollectionId = collection, SubjectId = subject, DisplayName = "x", UpdateMask = new FieldMask { Paths = { "display_name" } },
            }).ResponseAsync,
            ["enroll"] = () => Client.EnrollAsync(stranger, collection, subject, [Galleries.RandomUnit(random)]),
            ["list faces"] = () => Client.ListFacesAsync(new ListFacesRequest { TenantId = stranger, CollectionId = collection, SubjectId = subject }).ResponseAsync,
            ["search"] = () => Client.SearchAsync(new SearchRequest { TenantId = stranger, CollectionId = collection, Queries = { probe } }).ResponseAsync,
            ["verify"] = () => Client.VerifyAsync(new VerifyEmbeddingRequest { TenantId = stranger, CollectionId = collection, SubjectId = subject, Embedding = probe }).ResponseAsync,
            ["delete face"] = () => Client.DeleteFaceAsync(new DeleteFaceRequest { TenantId = stranger, CollectionId = collection, FaceId = face }).ResponseAsync,
            ["delete subject"] = () => Client.DeleteSubjectAsync(new DeleteSubjectRequest { TenantId = stranger, CollectionId = collection, SubjectId = subject }).ResponseAsync,
            ["delete collection"] = () => Client.DeleteCollectionAsync(new DeleteCollectionRequest { TenantId = stranger, CollectionId = collection }).ResponseAsync,
        };
        var outcomes = new Dictionary<string, StatusCode>();
        foreach (var (name, attempt) in attempts)
        {
            outcomes[name] = (await Assert.ThrowsAsync<RpcException>(attempt)).StatusCode;
        }

        var intact = await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = owner, CollectionId = collection });
        var stillFound = await Client.SearchAsync(new SearchRequest { TenantId = owner, CollectionId = collection, Queries = { probe } });
        var strangersCollections = await Client.ListCollectionsAsync(new ListCollectionsRequest { TenantId = stranger });

        Assert.All(outcomes, outcome => Assert.True(outcome.Value == StatusCode.NotFound, $"{outcome.Key}: {outcome.Value}"));
        Assert.Equal("secret", intact.Name);
        Assert.Equal(1, intact.SubjectCount);
        Assert.Equal(1, intact.FaceCount);
        Assert.Equal(subject, stillFound.Results[0].Matches[0].SubjectId);
        Assert.DoesNotContain(strangersCollections.Collections, c => c.Id == collection);
    }

    [Fact]
    public async Task A_subject_or_face_id_of_another_collection_is_not_found_in_this_one()
    {
        var tenant = await identity.NewTenantAsync();
        var first = (await Client.NewCollectionAsync(tenant, "first")).Id;
        var second = (await Client.NewCollectionAsync(tenant, "second")).Id;
        var subject = (await Client.NewSubjectAsync(tenant, first, "p")).Id;
        var face = (await Client.EnrollAsync(tenant, first, subject, [Galleries.RandomUnit(new Random(12))])).Faces[0].Id;

        var get = await Assert.ThrowsAsync<RpcException>(() => Client.GetSubjectAsync(
            new GetSubjectRequest { TenantId = tenant, CollectionId = second, SubjectId = subject }).ResponseAsync);
        var enroll = await Assert.ThrowsAsync<RpcException>(() => Client.EnrollAsync(tenant, second, subject, [Galleries.RandomUnit(new Random(13))]));
        var deleteFace = await Assert.ThrowsAsync<RpcException>(() => Client.DeleteFaceAsync(
            new DeleteFaceRequest { TenantId = tenant, CollectionId = second, FaceId = face }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, get.StatusCode);
        Assert.Equal(StatusCode.NotFound, enroll.StatusCode);
        Assert.Equal(StatusCode.NotFound, deleteFace.StatusCode);
    }
}
