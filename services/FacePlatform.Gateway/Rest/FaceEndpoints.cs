using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Errors;
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

    /// <summary>The quality filter field of enrolment and search.</summary>
    internal static readonly PhotoField QualityFilter = new("qualityFilter",
        "none, auto, low, medium or high (like Rekognition's QualityFilter; default: the gateway's QualityGate:Default, none). " +
        "Faces below the level are left out, each listed with its reasons: too_small, blurry, not_frontal, low_confidence.");

    /// <summary>The inference profile field of every call that detects or embeds faces.</summary>
    internal static readonly PhotoField Profile = new("profile",
        "Inference profile: accurate or fast (fast: the int8 recogniser where no collection fixes the recogniser). Default: the " +
        "collection's profile when it was created with one, else the platform's (accurate). An unknown name is 400.");

    /// <summary>Body of analyse.</summary>
    internal static readonly PhotoBody AnalyzeBody = new(
        Photo,
        new PhotoField("collection", "Collection id to search each face in."),
        new PhotoField("include", "Comma-separated extras: embeddings, landmarks."),
        new PhotoField("attributes", "Comma-separated attributes to compute: age, gender, emotion, liveness, or none (default: all). Only what is asked runs."),
        new PhotoField("maxFaces", "At most this many faces, largest first.", Type: JsonSchemaType.Integer),
        new PhotoField("minFaceSize", "Smallest face to look for, in pixels (default: 1/24 of the photo's longer side, at least 20; smaller sizes cost more time).", Type: JsonSchemaType.Integer),
        Profile);

    /// <summary>Body of batch analysis (multipart only: the files are read one at a time).</summary>
    internal static readonly PhotoBody BatchAnalyzeBody = new(
        new PhotoField("images", "The photos: one multipart file field each (any field names; answers come in the same order).", IsFile: true, Required: true),
        new PhotoField("collection", "Collection id to search each face in."),
        new PhotoField("include", "Comma-separated extras: embeddings, landmarks."),
        new PhotoField("attributes", "Comma-separated attributes to compute: age, gender, emotion, liveness, or none (default: all)."),
        new PhotoField("maxFaces", "At most this many faces per photo, largest first.", Type: JsonSchemaType.Integer),
        new PhotoField("minFaceSize", "Smallest face to look for, in pixels.", Type: JsonSchemaType.Integer),
        Profile);

    /// <summary>Body of detect-only.</summary>
    internal static readonly PhotoBody DetectBody = new(
        Photo,
        new PhotoField("maxFaces", "At most this many faces, largest first.", Type: JsonSchemaType.Integer),
        new PhotoField("minFaceSize", "Smallest face to look for, in pixels (default: 1/24 of the photo's longer side, at least 20).", Type: JsonSchemaType.Integer),
        Profile);

    private const string EmbeddingNote =
        " A vector from an earlier answer, as its `embedding` was shown: {\"model\": \"faceres\", \"vector\": [...]} (in multipart, that JSON as text).";

    private static readonly PhotoBody VerifyBody = new(
        new PhotoField("image1", "The first photo (or give embedding1 or faceId1).", IsFile: true),
        new PhotoField("embedding1", "Instead of image1." + EmbeddingNote, Type: JsonSchemaType.Object),
        new PhotoField("faceId1", "Instead of image1: an enrolled face of `collection`."),
        new PhotoField("image2", "The second photo (or give embedding2, faceId2, or collection and subjectId).", IsFile: true),
        new PhotoField("embedding2", "Instead of image2." + EmbeddingNote, Type: JsonSchemaType.Object),
        new PhotoField("faceId2", "Instead of image2: an enrolled face of `collection`."),
        new PhotoField("collection", "Collection of the subject or the face ids."),
        new PhotoField("subjectId", "Enrolled subject to compare with."),
        new PhotoField("threshold", "Cosine similarity needed for a match.", Type: JsonSchemaType.Number));

    private static readonly PhotoBody SearchBody = new(
        new PhotoField("image", "The photo: every face is searched (or give embedding or faceId).", IsFile: true),
        new PhotoField("embedding", "Instead of a photo: search with one vector of the collection's model." + EmbeddingNote, Type: JsonSchemaType.Object),
        new PhotoField("faceId", "Instead of a photo: search with an enrolled face of this collection."),
        new PhotoField("topK", "Subjects per face (default 3).", Type: JsonSchemaType.Integer),
        new PhotoField("threshold", "Minimum cosine similarity of a match.", Type: JsonSchemaType.Number),
        new PhotoField("maxFaces", "At most this many faces, largest first.", Type: JsonSchemaType.Integer),
        QualityFilter,
        Profile);

    /// <summary>Body of enrolment.</summary>
    internal static readonly PhotoBody EnrollBody = new(
        Photo,
        new PhotoField("face", "'largest' takes the largest face of a photo that shows several."),
        QualityFilter,
        Profile);

    public static void MapFaceEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/analyze", AnalyzeAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Faces")
            .WithSummary("Analyse every face of a photo")
            .WithDescription("Box, detection score, quality, head pose, age (with a likely age range), gender, emotion and liveness " +
                "of every face; with `collection`, the best matching subjects of each face or `unknown`. Options (form fields, JSON " +
                "fields or query): `collection`, `include=embeddings,landmarks`, `attributes=age,gender,emotion,liveness` (or `none`; " +
                "default all; only the models asked for run, an unknown name is 400), `maxFaces`, `minFaceSize`, `profile` (accurate or fast; an unknown name is 400)." + PhotoNote)
            .WithMetadata(AnalyzeBody)
            .Produces<AnalyzeView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery();

        routes.MapPost("/v1/analyze/batch", AnalyzeBatchAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Faces")
            .WithSummary("Analyse several photos in one call")
            .WithDescription("Up to `Limits:MaxAnalyzeBatchItems` (16) photos as multipart file fields (any names); the analyse options " +
                "(`collection`, `include`, `attributes`, `maxFaces`, `minFaceSize`, `profile`) as form fields or query, the same for every photo. " +
                "Photos are analysed one after another, each within the gateway's in-flight memory budget on its own. The answer " +
                "has one item per photo, in order: its analysis, or its own problem (status, title, detail).")
            .WithMetadata(BatchAnalyzeBody)
            .Produces<BatchAnalyzeView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery();

        routes.MapPost("/v1/detect", DetectAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Faces")
            .WithSummary("Detect faces only")
            .WithDescription("Box, detection score, landmarks, quality and head pose of every face. No embedding is computed and no " +
                "attribute model runs, so it is the cheapest call. Options: `maxFaces`, `minFaceSize`, `profile`." + PhotoNote)
            .WithMetadata(DetectBody)
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
                "Either side may instead be a vector from an earlier answer (`embedding1`, `embedding2`: model and vector) or an enrolled " +
                "face (`faceId1`, `faceId2` with `collection`; another tenant's face is 404). The largest face of each photo is " +
                "compared and its box returned; `threshold` overrides the default. Vectors of different models (or of another model " +
                "than the collection's) are 400." + PhotoNote)
            .WithMetadata(VerifyBody)
            .Produces<VerifyView>()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .DisableAntiforgery();

        routes.MapPost("/v1/collections/{collectionId}/search", SearchAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Faces")
            .WithSummary("Search a collection with every face of a photo")
            .WithDescription("Per face the best subjects (`topK`, default 3) at or above `threshold`, or `unknown`. Instead of a photo, " +
                "search with one vector: `embedding` (from an earlier answer; another model than the collection's is 400) or `faceId` " +
                "(an enrolled face of the collection; another tenant's is 404); the answer then has one entry without a box." + PhotoNote)
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
            request.IntField("minFaceSize"),
            request.Field("attributes") is { } attributes ? [attributes] : null,
            request.Field("profile"));
        var image = gate.Check(request.Image("image"));
        var answer = await faces.AnalyzeAsync(caller.TenantId, image, options, http.RequestAborted);
        return TypedResults.Ok(AnalyzeView.From(answer, options.CollectionId is not null, options.WantsLandmarks));
    }

    private static async Task<Ok<BatchAnalyzeView>> AnalyzeBatchAsync(HttpContext http, FaceOperations faces, ImageGate gate)
    {
        var caller = Caller.From(http.User);
        if (!http.Request.HasFormContentType)
        {
            throw ApiProblemException.Unsupported("send the photos as multipart/form-data, one file field per photo");
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var files = form.Files.ToList();
        var max = gate.Limits.MaxAnalyzeBatchItems;
        if (files.Count == 0 || files.Count > max)
        {
            throw ApiProblemException.BadRequest($"send 1–{max} photos as multipart file fields, not {files.Count}");
        }

        var request = PhotoRequest.FieldsOf(http.Request, form);
        var options = AnalyzeOptions.Create(
            request.Field("collection") ?? request.Field("collectionId"),
            request.Field("include") is { } include ? [include] : [],
            request.IntField("maxFaces"),
            request.IntField("minFaceSize"),
            request.Field("attributes") is { } attributes ? [attributes] : null,
            request.Field("profile"));
        var results = await faces.AnalyzeBatchAsync(caller.TenantId, files.Count, (i, cancellationToken) => PhotoRequest.OpenFileAsync(files[i], gate, cancellationToken),
            options, http.RequestAborted);
        var items = results.Select((r, i) => new BatchAnalyzeItemView(i, files[i].FileName,
            r.Answer is { } answer ? AnalyzeView.From(answer, options.CollectionId is not null, options.WantsLandmarks) : null,
            r.Problem is { } problem ? new ProblemView(problem.HttpStatus, problem.Title, problem.Detail) : null)).ToList();
        return TypedResults.Ok(new BatchAnalyzeView(items.Count(i => i.Error is null), items.Count(i => i.Error is not null), items));
    }

    private static async Task<Ok<AnalyzeView>> DetectAsync(HttpContext http, FaceOperations faces, ImageGate gate)
    {
        var request = await PhotoRequest.ReadAsync(http.Request, gate);
        var image = gate.Check(request.Image("image"));
        var answer = await faces.DetectFacesAsync(image, request.IntField("maxFaces"), request.IntField("minFaceSize"), http.RequestAborted, request.Field("profile"));
        return TypedResults.Ok(AnalyzeView.From(answer, searched: false, landmarks: true));
    }

    private static async Task<Ok<VerifyView>> VerifyAsync(HttpContext http, FaceOperations faces, ImageGate gate)
    {
        var caller = Caller.From(http.User);
        var request = await PhotoRequest.ReadAsync(http.Request, gate);
        var answer = await faces.VerifyAsync(caller.TenantId, Side(request, gate, 1), Side(request, gate, 2),
            request.Field("collection") ?? request.Field("collectionId"), request.Field("subjectId"),
            request.FloatField("threshold"), http.RequestAborted);
        return TypedResults.Ok(VerifyView.From(answer));
    }

    private static async Task<Ok<SearchView>> SearchAsync(string collectionId, HttpContext http, FaceOperations faces, ImageGate gate)
    {
        var caller = Caller.From(http.User);
        var request = await PhotoRequest.ReadAsync(http.Request, gate);
        var image = request.OptionalImage("image") is { } bytes ? gate.Check(bytes) : null;
        var reference = FaceReference.From(EmbeddingView.Parse(request.Field("embedding"), "embedding"), request.Field("faceId"), "embedding / faceId");
        var answer = await faces.SearchAsync(caller.TenantId, collectionId, image, reference, request.IntField("topK"),
            request.FloatField("threshold"), request.IntField("maxFaces"), http.RequestAborted, request.Field("qualityFilter"), request.Field("profile"));
        return TypedResults.Ok(SearchView.From(answer));
    }

    private static VerifySide Side(PhotoRequest request, ImageGate gate, int index) =>
        VerifySide.Of(
            request.OptionalImage($"image{index}") is { } bytes ? gate.Check(bytes) : null,
            FaceReference.From(EmbeddingView.Parse(request.Field($"embedding{index}"), $"embedding{index}"), request.Field($"faceId{index}"),
                $"embedding{index} / faceId{index}"),
            index);
}
