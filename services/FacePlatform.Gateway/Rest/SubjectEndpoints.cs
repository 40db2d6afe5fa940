using System.Text.Json;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Faces;
using FacePlatform.Gateway.Imaging;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FacePlatform.Gateway.Rest;

/// <summary><c>/v1/collections/{c}/subjects</c> and their faces.</summary>
internal static class SubjectEndpoints
{
    public static void MapSubjectEndpoints(this IEndpointRouteBuilder routes)
    {
        var subjects = routes.MapGroup("/v1/collections/{collectionId}").WithTags("Subjects");

        subjects.MapPost("/subjects", CreateAsync).RequireAuthorization(Policies.Write).WithSummary("Create a subject");
        subjects.MapGet("/subjects", ListAsync).RequireAuthorization(Policies.Read)
            .WithSummary("List subjects")
            .WithDescription("Cursor pagination (`pageSize`, `pageToken`); `filter` keeps subjects whose external id or name starts with it.");
        subjects.MapGet("/subjects/{subjectId}", GetAsync).RequireAuthorization(Policies.Read).WithSummary("Get a subject");
        subjects.MapPatch("/subjects/{subjectId}", UpdateAsync).RequireAuthorization(Policies.Write)
            .WithSummary("Update a subject's display name or metadata");
        subjects.MapDelete("/subjects/{subjectId}", DeleteAsync).RequireAuthorization(Policies.Write)
            .WithSummary("Delete a subject")
            .WithDescription("Deletes the subject, its face vectors, and every cached answer that names it.");
        subjects.MapPost("/subjects/{subjectId}/faces", EnrollAsync).RequireAuthorization(Policies.Write)
            .WithSummary("Enrol a face from a photo")
            .WithDescription("The photo must show exactly one face, or pass `face=largest`. 422 when it shows none or several. " +
                "An `Idempotency-Key` header makes retries safe; the same photo is never enrolled twice for a subject. No photo is stored.")
            .WithMetadata(FaceEndpoints.EnrollBody)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .DisableAntiforgery();
        subjects.MapGet("/subjects/{subjectId}/faces", ListFacesAsync).RequireAuthorization(Policies.Read)
            .WithSummary("List a subject's enrolled faces");
        subjects.MapDelete("/faces/{faceId}", DeleteFaceAsync).RequireAuthorization(Policies.Write)
            .WithSummary("Delete an enrolled face");
        subjects.MapPost("/subjects:batchEnroll", BatchEnrollAsync).RequireAuthorization(Policies.Write)
            .WithSummary("Enrol many photos at once")
            .WithDescription("multipart/form-data: each file field is named after the subject's external id (created when missing) " +
                "and holds one photo of that person. Each item succeeds or fails on its own.")
            .DisableAntiforgery();
    }

    private static async Task<Created<SubjectView>> CreateAsync(
        string collectionId, CreateSubjectBody body, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        var caller = Caller.From(http.User);
        var subject = await identity.CreateSubjectAsync(new CreateSubjectRequest
        {
            TenantId = caller.TenantId,
            CollectionId = collectionId,
            ExternalId = body.ExternalId ?? string.Empty,
            DisplayName = body.DisplayName ?? string.Empty,
            Metadata = ToStruct(body.Metadata),
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Created($"/v1/collections/{collectionId}/subjects/{subject.Id}", SubjectView.From(subject));
    }

    private static async Task<Ok<SubjectPage>> ListAsync(
        string collectionId, HttpContext http, IdentityService.IdentityServiceClient identity, int? pageSize, string? pageToken, string? filter)
    {
        var caller = Caller.From(http.User);
        var page = await identity.ListSubjectsAsync(new ListSubjectsRequest
        {
            TenantId = caller.TenantId,
            CollectionId = collectionId,
            Page = new PageRequest { PageSize = pageSize ?? 0, PageToken = pageToken ?? string.Empty },
            Filter = filter ?? string.Empty,
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Ok(new SubjectPage(page.Subjects.Select(SubjectView.From).ToList(), NullIfEmpty(page.Page?.NextPageToken)));
    }

    private static async Task<Ok<SubjectView>> GetAsync(
        string collectionId, string subjectId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        var caller = Caller.From(http.User);
        var subject = await identity.GetSubjectAsync(new GetSubjectRequest
        {
            TenantId = caller.TenantId,
            CollectionId = collectionId,
            SubjectId = subjectId,
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Ok(SubjectView.From(subject));
    }

    private static async Task<Ok<SubjectView>> UpdateAsync(
        string collectionId, string subjectId, UpdateSubjectBody body, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        var caller = Caller.From(http.User);
        var request = new UpdateSubjectRequest
        {
            TenantId = caller.TenantId,
            CollectionId = collectionId,
            SubjectId = subjectId,
            DisplayName = body.DisplayName ?? string.Empty,
            Metadata = ToStruct(body.Metadata),
            UpdateMask = new FieldMask(),
        };
        if (body.DisplayName is not null)
        {
            request.UpdateMask.Paths.Add("display_name");
        }

        if (body.Metadata is not null)
        {
            request.UpdateMask.Paths.Add("metadata");
        }

        var subject = await identity.UpdateSubjectAsync(request, cancellationToken: http.RequestAborted);
        return TypedResults.Ok(SubjectView.From(subject));
    }

    private static async Task<Ok<DeleteResult>> DeleteAsync(
        string collectionId, string subjectId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        var caller = Caller.From(http.User);
        var deleted = await identity.DeleteSubjectAsync(new DeleteSubjectRequest
        {
            TenantId = caller.TenantId,
            CollectionId = collectionId,
            SubjectId = subjectId,
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Ok(DeleteResult.From(deleted));
    }

    private static async Task<Created<EnrollView>> EnrollAsync(
        string collectionId, string subjectId, HttpContext http, FaceOperations faces, ImageGate gate)
    {
        var caller = Caller.From(http.User);
        var request = await PhotoRequest.ReadAsync(http.Request, gate);
        var image = gate.Check(request.Image("image"));
        var largest = string.Equals(request.Field("face"), "largest", StringComparison.OrdinalIgnoreCase);
        var enrolled = await faces.EnrollAsync(caller.TenantId, collectionId, subjectId, image, largest,
            http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } key ? key : null, http.RequestAborted,
            request.Field("qualityFilter"), request.Field("profile"));
        return TypedResults.Created($"/v1/collections/{collectionId}/subjects/{subjectId}/faces", EnrollView.From(enrolled));
    }

    private static async Task<Ok<FacePage>> ListFacesAsync(
        string collectionId, string subjectId, HttpContext http, IdentityService.IdentityServiceClient identity, int? pageSize, string? pageToken)
    {
        var caller = Caller.From(http.User);
        var page = await identity.ListFacesAsync(new ListFacesRequest
        {
            TenantId = caller.TenantId,
            CollectionId = collectionId,
            SubjectId = subjectId,
            Page = new PageRequest { PageSize = pageSize ?? 0, PageToken = pageToken ?? string.Empty },
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Ok(new FacePage(page.Faces.Select(EnrolledFaceView.From).ToList(), NullIfEmpty(page.Page?.NextPageToken)));
    }

    private static async Task<Ok<DeleteResult>> DeleteFaceAsync(
        string collectionId, string faceId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        var caller = Caller.From(http.User);
        var deleted = await identity.DeleteFaceAsync(new DeleteFaceRequest
        {
            TenantId = caller.TenantId,
            CollectionId = collectionId,
            FaceId = faceId,
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Ok(DeleteResult.From(deleted));
    }

    private static async Task<Ok<BatchEnrollView>> BatchEnrollAsync(
        string collectionId, HttpContext http, FaceOperations faces, ImageGate gate, IdentityService.IdentityServiceClient identity)
    {
        var caller = Caller.From(http.User);
        if (!http.Request.HasFormContentType)
        {
            throw ApiProblemException.Unsupported("send the photos as multipart/form-data, one file field per photo named after the subject");
        }

        var items = (await http.Request.ReadFormAsync(http.RequestAborted)).Files.ToList();
        if (items.Count == 0 || items.Count > gate.Limits.MaxBatchItems)
        {
            throw ApiProblemException.BadRequest(
                $"send 1–{gate.Limits.MaxBatchItems} photos as multipart file fields named after the subjects' external ids");
        }

        var results = new List<BatchItemView>(items.Count);
        var subjectIds = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var index = 0; index < items.Count; index++)
        {
            var externalId = items[index].Name;
            try
            {
                if (!subjectIds.TryGetValue(externalId, out var subjectId))
                {
                    subjectId = await SubjectIdAsync(identity, caller.TenantId, collectionId, externalId, http.RequestAborted);
                    subjectIds[externalId] = subjectId;
                }

                // Each photo holds the in-flight budget while it is enrolled, as a batch analysis's photos do: sixteen
                // batches at once held sixteen photos and their copies, unbounded by the budget.
                var (image, lease) = await PhotoRequest.OpenFileAsync(items[index], gate, http.RequestAborted);
                using (lease)
                {
                    var enrolled = await faces.EnrollAsync(caller.TenantId, collectionId, subjectId, image, largest: false, null, http.RequestAborted);
                    results.Add(new BatchItemView(index, subjectId, EnrollView.From(enrolled), null));
                }
            }
            catch (ApiProblemException problem)
            {
                results.Add(new BatchItemView(index, externalId, null, new ProblemView(problem.HttpStatus, problem.Title, problem.Message)));
            }
            catch (RpcException rpc) when (rpc.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled))
            {
                results.Add(new BatchItemView(index, externalId, null, new ProblemView(
                    ServiceDefaults.Errors.StatusMapping.ToHttpStatus(rpc), ServiceDefaults.Errors.StatusMapping.Title(rpc), rpc.Status.Detail)));
            }
        }

        return TypedResults.Ok(new BatchEnrollView(results.Count(r => r.Error is null), results.Count(r => r.Error is not null), results));
    }

    private static async Task<string> SubjectIdAsync(
        IdentityService.IdentityServiceClient identity, string tenantId, string collectionId, string externalId, CancellationToken cancellationToken)
    {
        try
        {
            var created = await identity.CreateSubjectAsync(new CreateSubjectRequest
            {
                TenantId = tenantId,
                CollectionId = collectionId,
                ExternalId = externalId,
                DisplayName = externalId,
            }, cancellationToken: cancellationToken);
            return created.Id;
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.AlreadyExists)
        {
            var page = await identity.ListSubjectsAsync(new ListSubjectsRequest
            {
                TenantId = tenantId,
                CollectionId = collectionId,
                Filter = externalId,
                Page = new PageRequest { PageSize = Paging.MaxPageSize },
            }, cancellationToken: cancellationToken);
            return page.Subjects.First(s => s.ExternalId == externalId).Id;
        }
    }

    private static Struct? ToStruct(JsonElement? metadata)
    {
        if (metadata is not { } element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw ApiProblemException.BadRequest("metadata must be a JSON object");
        }

        try
        {
            return Struct.Parser.ParseJson(element.GetRawText());
        }
        catch (Exception exception) when (exception is Google.Protobuf.InvalidJsonException or Google.Protobuf.InvalidProtocolBufferException or InvalidOperationException or FormatException)
        {
            // JSON that System.Text.Json reads but protobuf's Struct cannot hold (1e309, a lone surrogate, nesting past 100).
            throw ApiProblemException.BadRequest("metadata is not a JSON object protobuf can hold: " + exception.Message);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static class Paging
    {
        public const int MaxPageSize = 500;
    }
}
