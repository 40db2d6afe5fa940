using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Faces;
using Grpc.Core;

namespace FacePlatform.Gateway.Tests;

/// <summary>Which inference profile a request runs with, and what a collection's profile fixes at creation.</summary>
public sealed class ProfileChoiceTests
{
    [Theory]
    [InlineData("accurate", "fast", "accurate")]
    [InlineData(" fast ", "", "fast")]
    [InlineData(null, "fast", "fast")]
    [InlineData("  ", "fast", "fast")]
    [InlineData(null, "", "")]
    public void A_request_s_own_profile_wins_over_its_collection_s(string? requested, string collectionProfile, string expected)
    {
        Assert.Equal(expected, FaceOperations.ProfileFor(requested, new Collection { Profile = collectionProfile }));
    }

    [Fact]
    public void Without_a_collection_the_request_s_profile_or_the_default_applies()
    {
        Assert.Equal("fast", FaceOperations.ProfileFor("fast", null));
        Assert.Equal(string.Empty, FaceOperations.ProfileFor(null, null));
    }

    [Fact]
    public async Task A_collection_created_with_a_profile_and_no_model_takes_the_profile_s_recogniser()
    {
        var profiles = new CollectionProfiles(new ServedProfiles());

        var request = await profiles.ApplyAsync(new CreateCollectionRequest { Name = "quick", Profile = " fast " }, CancellationToken.None);

        Assert.Equal("fast", request.Profile);
        Assert.Equal("faceres-int8", request.ModelId);
        Assert.Equal(1024, request.Dimension);
    }

    [Fact]
    public async Task A_named_model_or_a_profile_without_a_recogniser_keeps_the_request_s_model()
    {
        var profiles = new CollectionProfiles(new ServedProfiles());

        var pinned = await profiles.ApplyAsync(new CreateCollectionRequest { Name = "pinned", Profile = "fast", ModelId = "faceres" }, CancellationToken.None);
        var accurate = await profiles.ApplyAsync(new CreateCollectionRequest { Name = "plain", Profile = "accurate" }, CancellationToken.None);

        Assert.Equal("faceres", pinned.ModelId);
        Assert.Equal(0, pinned.Dimension);
        Assert.Equal(string.Empty, accurate.ModelId);
        Assert.Equal("accurate", accurate.Profile);
    }

    [Fact]
    public async Task An_unknown_profile_is_a_bad_request_naming_the_known_ones()
    {
        var profiles = new CollectionProfiles(new ServedProfiles());

        var error = await Assert.ThrowsAsync<ApiProblemException>(() =>
            profiles.ApplyAsync(new CreateCollectionRequest { Name = "odd", Profile = "turbo" }, CancellationToken.None));

        Assert.Equal(400, error.HttpStatus);
        Assert.Equal(StatusCode.InvalidArgument, error.GrpcStatus);
        Assert.Contains("'turbo'", error.Message, StringComparison.Ordinal);
        Assert.Contains("accurate, fast", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_profile_asks_the_embedding_service_nothing()
    {
        var served = new ServedProfiles();
        var profiles = new CollectionProfiles(served);

        var request = await profiles.ApplyAsync(new CreateCollectionRequest { Name = "plain" }, CancellationToken.None);

        Assert.Equal(string.Empty, request.ModelId);
        Assert.Equal(0, served.Calls);
    }

    /// <summary>The embedding service's answer with the built-in profiles (a fake: only ListProfiles is answered).</summary>
    private sealed class ServedProfiles : EmbeddingService.EmbeddingServiceClient
    {
        public int Calls { get; private set; }

        public override AsyncUnaryCall<ListProfilesResponse> ListProfilesAsync(ListProfilesRequest request, CallOptions options)
        {
            Calls++;
            var response = new ListProfilesResponse
            {
                DefaultProfile = "accurate",
                Profiles =
                {
                    new ServedProfile { Name = "accurate" },
                    new ServedProfile { Name = "fast", Recogniser = "faceres-int8", Dimension = 1024 },
                },
            };
            return new AsyncUnaryCall<ListProfilesResponse>(
                Task.FromResult(response), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
        }
    }
}
