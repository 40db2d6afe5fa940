using System.Net;
using FacePlatform.Client;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>The FacePlatform.Client package against the running platform, over REST and over gRPC.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ClientLibraryTests(PlatformFixture platform)
{
    [Fact]
    public async Task The_rest_client_manages_a_gallery_and_asks_about_photos()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var client = new FacePlatformRestClient(Options(key));

        var gallery = await client.CreateCollectionAsync("rest-client", "made by FacePlatform.Client");
        var obama = await client.CreateSubjectAsync(gallery.Id, "obama", "Barack Obama");
        var kit = await client.CreateSubjectAsync(gallery.Id, "kit");
        var enrolled = await client.EnrollAsync(gallery.Id, obama.Id, await File.ReadAllBytesAsync(Photos.Obama1), idempotencyKey: "obama-1");
        var again = await client.EnrollAsync(gallery.Id, obama.Id, await File.ReadAllBytesAsync(Photos.Obama1), idempotencyKey: "obama-1");
        await client.EnrollAsync(gallery.Id, kit.Id, await File.ReadAllBytesAsync(Photos.Kit1));
        var listed = await client.ListCollectionsAsync();
        var found = await client.SearchAsync(gallery.Id, await File.ReadAllBytesAsync(Photos.ObamaProbe), topK: 1);
        var same = await client.VerifyAsync(await File.ReadAllBytesAsync(Photos.Obama1), await File.ReadAllBytesAsync(Photos.Obama2));
        var other = await client.VerifySubjectAsync(await File.ReadAllBytesAsync(Photos.KitProbe), gallery.Id, obama.Id);
        var analysed = await client.AnalyzeAsync(await File.ReadAllBytesAsync(Photos.KitProbe), gallery.Id);
        var deleted = await client.DeleteCollectionAsync(gallery.Id);

        Assert.Equal("made by FacePlatform.Client", Assert.Single(listed).Description);
        Assert.Single(enrolled.Faces);
        Assert.Equal(1, again.Duplicates);
        Assert.Equal("obama", Assert.Single(Assert.Single(found.Faces).Matches).ExternalId);
        Assert.True(same.Match, $"two photos of Obama: similarity {same.Similarity}, threshold {same.Threshold}");
        Assert.False(other.Match, $"Kit against Obama: similarity {other.Similarity}, threshold {other.Threshold}");
        var face = Assert.Single(analysed.Faces);
        Assert.NotNull(face.Age);
        Assert.Equal("kit", Assert.IsAssignableFrom<IReadOnlyList<Client.Rest.MatchView>>(face.Matches)[0].ExternalId);
        Assert.Equal(2, deleted.DeletedSubjects);
    }

    [Fact]
    public async Task The_grpc_client_manages_a_gallery_and_asks_about_photos()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var client = new FacePlatformGrpcClient(Options(key));

        var gallery = await client.CreateCollectionAsync("grpc-client");
        var obama = await client.CreateSubjectAsync(gallery.Id, "obama", "Barack Obama");
        var kit = await client.CreateSubjectAsync(gallery.Id, "kit");
        var enrolled = await client.EnrollAsync(gallery.Id, obama.Id, await File.ReadAllBytesAsync(Photos.Obama1), requestId: "obama-1");
        await client.EnrollAsync(gallery.Id, kit.Id, await File.ReadAllBytesAsync(Photos.Kit1));
        var listed = await client.ListCollectionsAsync();
        var found = await client.SearchAsync(gallery.Id, await File.ReadAllBytesAsync(Photos.KitProbe), topK: 1);
        var same = await client.VerifyAsync(await File.ReadAllBytesAsync(Photos.Obama1), await File.ReadAllBytesAsync(Photos.Obama2));
        var subject = await client.VerifySubjectAsync(await File.ReadAllBytesAsync(Photos.ObamaProbe), gallery.Id, obama.Id);
        var analysed = await client.AnalyzeAsync(await File.ReadAllBytesAsync(Photos.ObamaProbe), gallery.Id);
        var deleted = await client.DeleteCollectionAsync(gallery.Id);

        Assert.Equal(gallery.Id, Assert.Single(listed).Id);
        Assert.Single(enrolled.Faces);
        Assert.Equal("kit", Assert.Single(Assert.Single(found.Faces).Matches).ExternalId);
        Assert.True(same.Match, $"two photos of Obama: similarity {same.Similarity}");
        Assert.True(subject.Match, $"Obama against his subject: similarity {subject.Similarity}");
        var face = Assert.Single(analysed.Faces);
        Assert.True(face.Attributes.HasAge);
        Assert.Equal("obama", face.Matches[0].ExternalId);
        Assert.Equal(2, deleted.DeletedSubjects);
    }

    [Fact]
    public async Task The_rest_client_creates_a_collection_with_the_settings_it_keeps()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var client = new FacePlatformRestClient(Options(key));

        var strict = await client.CreateCollectionAsync("strict-fast", new Client.Rest.CollectionSettings(FalseAcceptRate: 0.001, Profile: "fast"));
        var read = await client.GetCollectionAsync(strict.Id);
        var unknown = await Assert.ThrowsAsync<FacePlatformApiException>(() =>
            client.CreateCollectionAsync("odd", new Client.Rest.CollectionSettings(Profile: "warp")));

        Assert.Equal(0.001, read.FalseAcceptRate);
        Assert.Equal("fast", read.Profile);
        Assert.Equal(strict.ModelId, read.ModelId);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Contains("warp", unknown.Message + unknown.Title + unknown.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_rest_call_throws_the_problem_details()
    {
        var (_, key) = await platform.NewTenantAsync();
        using var client = new FacePlatformRestClient(Options(key));
        var gallery = await client.CreateCollectionAsync("refusals");
        var subject = await client.CreateSubjectAsync(gallery.Id, "nobody");

        var noFace = await Assert.ThrowsAsync<FacePlatformApiException>(() =>
            client.EnrollAsync(gallery.Id, subject.Id, File.ReadAllBytes(Photos.NoFace)));
        var missing = await Assert.ThrowsAsync<FacePlatformApiException>(() => client.GetCollectionAsync(Guid.NewGuid().ToString()));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, noFace.Status);
        Assert.False(string.IsNullOrWhiteSpace(noFace.Title));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Fact]
    public async Task A_refused_grpc_call_throws_the_platform_status()
    {
        using var client = new FacePlatformGrpcClient(Options("fp_not-a-key"));

        var error = await Assert.ThrowsAsync<RpcException>(() => client.ListCollectionsAsync());

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    private FacePlatformClientOptions Options(string key) => new()
    {
        RestAddress = platform.Gateway.HttpAddress,
        GrpcAddress = new Uri($"http://127.0.0.1:{platform.Gateway.GrpcPort}"),
        ApiKey = key,
    };
}
