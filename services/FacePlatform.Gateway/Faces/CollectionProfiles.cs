using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Gateway.Errors;

namespace FacePlatform.Gateway.Faces;

/// <summary>
/// A collection's inference profile at creation: the embedding service owns the profile names (Vision
/// Pipeline/InferenceProfiles.cs), so an unknown one is refused here, before identity stores it, naming the known ones
/// (400 / INVALID_ARGUMENT, as an unknown profile of a request). A collection created with a profile that names a
/// recogniser (<c>fast</c>: <c>faceres-int8</c>) and without a model id takes that recogniser as its own: every vector
/// of the gallery is then made by it, and search and enrolment run at the profile's speed. Afterwards no profile
/// changes the collection's recogniser (vectors of two models are never compared).
/// </summary>
internal sealed class CollectionProfiles(EmbeddingService.EmbeddingServiceClient embedding)
{
    /// <summary>How long the embedding service's list is trusted (its profiles change only with its configuration).</summary>
    private static readonly TimeSpan Freshness = TimeSpan.FromMinutes(1);

    private (ListProfilesResponse Served, DateTimeOffset At)? _last;

    /// <summary>
    /// Checks <paramref name="request"/>'s profile (trimmed; empty passes) and, with no model id, gives it the
    /// profile's recogniser and that recogniser's dimension (unless the caller named one).
    /// </summary>
    /// <exception cref="ApiProblemException">The profile is not one the embedding service serves.</exception>
    public async Task<CreateCollectionRequest> ApplyAsync(CreateCollectionRequest request, CancellationToken cancellationToken)
    {
        request.Profile = request.Profile.Trim();
        if (request.Profile.Length == 0)
        {
            return request;
        }

        var served = await ServedAsync(cancellationToken);
        var profile = served.Profiles.FirstOrDefault(p => p.Name == request.Profile)
            ?? throw ApiProblemException.BadRequest(
                $"unknown profile '{request.Profile}'; known profiles: {string.Join(", ", served.Profiles.Select(p => p.Name))}");
        if (request.ModelId.Length == 0 && profile.Recogniser.Length > 0)
        {
            request.ModelId = profile.Recogniser;
            request.Dimension = request.Dimension != 0 ? request.Dimension : profile.Dimension;
        }

        return request;
    }

    private async Task<ListProfilesResponse> ServedAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        if (_last is { } last && now - last.At < Freshness)
        {
            return last.Served;
        }

        var served = await embedding.ListProfilesAsync(new ListProfilesRequest(), cancellationToken: cancellationToken);
        _last = (served, now);
        return served;
    }
}
