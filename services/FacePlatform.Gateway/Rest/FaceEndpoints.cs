using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Faces;
using FacePlatform.Gateway.Imaging;
using FacePlatform.Gateway.OpenApi;
using Microsoft.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FacePlatform.Gateway.Rest;

/// <summary><c>/v1/analyze</c>, <c>/v1/verify</c> and <c>/v1/collections/{c}/search</c>: questions about photos.</summary>
internal static class FaceEndpoints
{
    private const string PhotoNote =
        " Send the photo as multipart/form-data (file field `image`) or as JSON with the photo in base64.";

    private static readonly PhotoField Photo = new("image", "The photo: JPEG, PNG, WebP, BMP or GIF, at most 20 MB and 40 MP.", IsFile: true, Required: true);

    /// <summary>Body of analyse.</summary>
    internal static readonly PhotoBody AnalyzeBody = new(
        Photo,
        new PhotoField("collection", "Collection id to search each face in."),
        new PhotoField("include", "Comma-separated extras: embeddings, landmarks."),
        new PhotoField("maxFaces", "At most this many faces, largest first.", Type: JsonSchemaType.Integer),
        new PhotoField("minFaceSize", "Smallest face to look for, in pixels (default: 1/24 of the photo's longer side, at least 20; smaller sizes cost more time).", Type: JsonSchemaType.Integer));

    private static readonly PhotoBody VerifyBody = new(
        new PhotoField("image1", "The first photo.", IsFile: true, Required: true),
        new PhotoField("image2", "The second photo (or give collection and subjectId).", IsFile: true),
        new PhotoField("collection", "Collection of the subject."),
        new PhotoField("subjectId", "Enrolled subject to compare with."),
        new PhotoField("threshold", "Cosine similarity needed for a match.", Type: JsonSchemaType.Number));

    private static readonly PhotoBody SearchBody = new(
        Photo,
        new PhotoField("topK", "Subjects per face (default 3).", Type: JsonSchemaType.Integer),
        new PhotoField("threshold", "Minimum cosine similarity of a match.", Type: JsonSchemaType.Number),
        new PhotoField("maxFaces", "At most this many faces, largest first.", Type: JsonSchemaType.Integer));

    /// <summary>Body of enrolment.</summary>
    internal static readonly PhotoBody EnrollBody = new(
        Photo,
        new PhotoField("face", "'largest' takes the largest face of a photo that shows several."));

    public static void MapFaceEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/analyze", AnalyzeAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Faces")
            .WithSummary("Analyse every face of a photo")
            .WithDescription("Box, detection score, quality, age, gender, emotion and liveness of every face; with `collection`, " +
                "the best matching subjects of each face or `unknown`. Options (form fields, JSON fields or query): `collection`, " +
                "`include=embeddings,landmarks`, `maxFaces`, `minFaceSize`." + PhotoNote)
            .WithMetadata(AnalyzeBody)
            .Produces<AnalyzeView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery();

        routes.MapPost("/v1/verify", VerifyAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Faces")
            .WithSummary("Verify: same person or not")
            .WithDescription("Two photos (`image1`, `image2`), or a photo (`image1`) and an enrolled subject (`collection`, `subjectId`). " +
                "The largest face of each photo is compared; `threshold` overrides the default." + PhotoNote)
            .WithMetadata(VerifyBody)
            .Produces<VerifyView>()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .DisableAntiforgery();

        routes.MapPost("/v1/collections/{collectionId}/search", SearchAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Faces")
            .WithSummary("Search a collection with every face of a photo")
            .WithDescription("Per face the best subjects (`topK`, default 3) at or above `threshold`, or `unknown`." + PhotoNote)
            .WithMetadata(SearchBody)
            .Produces<SearchView>()
            .DisableAntiforgery();
    }

    private static async Task<Ok<AnalyzeView>> AnalyzeAsync(HttpContext http, FaceOperations faces, ImageGate gate)
    {
        var caller = Caller.From(http.User);
        var request = await PhotoRequest.ReadAsync(http.Request, gate);
        var options = AnalyzeOptions.Create(
            request.Field("collection") ?? request.Field("collectionId"),
            request.Field("include") is { } include ? [include] : [],
            request.IntField("maxFaces"),
            request.IntField("minFaceSize"));
        var image = gate.Check(request.Image("image"));
        var answer = await faces.AnalyzeAsync(caller.TenantId, image, options, http.RequestAborted);
        return TypedResults.Ok(AnalyzeView.From(answer, options.CollectionId is not null, options.WantsLandmarks));
    }

    private static async Task<Ok<VerifyView>> VerifyAsync(HttpContext http, FaceOperations faces, ImageGate gate)
    {
        var caller = Caller.From(http.User);
        var request = await PhotoRequest.ReadAsync(http.Request, gate);
        var first = gate.Check(request.Image("image1"));
        var second = request.OptionalImage("image2") is { } bytes ? gate.Check(bytes) : null;
        var answer = await faces.VerifyAsync(caller.TenantId, first, second,
            request.Field("collection") ?? request.Field("collectionId"), request.Field("subjectId"),
            request.FloatField("threshold"), http.RequestAborted);
        return TypedResults.Ok(VerifyView.From(answer));
    }

    private static async Task<Ok<SearchView>> SearchAsync(string collectionId, HttpContext http, FaceOperations faces, ImageGate gate)
    {
        var caller = Caller.From(http.User);
        var request = await PhotoRequest.ReadAsync(http.Request, gate);
        var image = gate.Check(request.Image("image"));
        var answer = await faces.SearchAsync(caller.TenantId, collectionId, image, request.IntField("topK"),
            request.FloatField("threshold"), request.IntField("maxFaces"), http.RequestAborted);
        return TypedResults.Ok(SearchView.From(answer));
    }
}
