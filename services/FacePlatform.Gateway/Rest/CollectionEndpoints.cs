using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Faces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FacePlatform.Gateway.Rest;

/// <summary><c>/v1/collections</c>: galleries of the caller's tenant.</summary>
internal static class CollectionEndpoints
{
    public static void MapCollectionEndpoints(this IEndpointRouteBuilder routes)
    {
        var collections = routes.MapGroup("/v1/collections").WithTags("Collections");

        collections.MapPost("/", CreateAsync)
            .RequireAuthorization(Policies.Write)
            .WithSummary("Create a collection")
            .WithDescription("Creates a gallery bound to one embedding model (the default recogniser unless named).");
        collections.MapGet("/", ListAsync)
            .RequireAuthorization(Policies.Read)
            .WithSummary("List collections")
            .WithDescription("Cursor pagination: pass nextPageToken as pageToken; pageSize defaults to 50, at most 500.");
        collections.MapGet("/{collectionId}", GetAsync)
            .RequireAuthorization(Policies.Read)
            .WithSummary("Get a collection");
        collections.MapDelete("/{collectionId}", DeleteAsync)
            .RequireAuthorization(Policies.Write)
            .WithSummary("Delete a collection")
            .WithDescription("Deletes the collection with all its subjects and faces.");
    }

    private static async Task<Created<CollectionView>> CreateAsync(
        CreateCollectionBody body, HttpContext http, IdentityService.IdentityServiceClient identity, CollectionProfiles profiles)
    {
        var caller = Caller.From(http.User);
        var created = await identity.CreateCollectionAsync(await profiles.ApplyAsync(new CreateCollectionRequest
        {
            TenantId = caller.TenantId,
            Name = body.Name ?? string.Empty,
            Description = body.Description ?? string.Empty,
            ModelId = body.ModelId ?? string.Empty,
            Dimension = body.Dimension ?? 0,
            FalseAcceptRate = body.FalseAcceptRate ?? 0,
            Profile = body.Profile ?? string.Empty,
        }, http.RequestAborted), cancellationToken: http.RequestAborted);
        return TypedResults.Created($"/v1/collections/{created.Id}", CollectionView.From(created));
    }

    private static async Task<Ok<CollectionPage>> ListAsync(
        HttpContext http, IdentityService.IdentityServiceClient identity, int? pageSize, string? pageToken)
    {
        var caller = Caller.From(http.User);
        var page = await identity.ListCollectionsAsync(new ListCollectionsRequest
        {
            TenantId = caller.TenantId,
            Page = new PageRequest { PageSize = pageSize ?? 0, PageToken = pageToken ?? string.Empty },
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Ok(new CollectionPage(
            page.Collections.Select(CollectionView.From).ToList(),
            string.IsNullOrEmpty(page.Page.NextPageToken) ? null : page.Page.NextPageToken));
    }

    private static async Task<Ok<CollectionView>> GetAsync(
        string collectionId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        var caller = Caller.From(http.User);
        var collection = await identity.GetCollectionAsync(
            new GetCollectionRequest { TenantId = caller.TenantId, CollectionId = collectionId },
            cancellationToken: http.RequestAborted);
        return TypedResults.Ok(CollectionView.From(collection));
    }

    private static async Task<Ok<DeleteResult>> DeleteAsync(
        string collectionId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        var caller = Caller.From(http.User);
        var deleted = await identity.DeleteCollectionAsync(
            new DeleteCollectionRequest { TenantId = caller.TenantId, CollectionId = collectionId },
            cancellationToken: http.RequestAborted);
        return TypedResults.Ok(DeleteResult.From(deleted));
    }
}
