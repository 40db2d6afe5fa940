using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.Identity.Audit;

/// <summary>
/// Records the audited calls of identity — keys created and revoked, tenants created, suspended, resumed and deleted,
/// collections, subjects and faces created, changed and deleted, searches and verifications — with their outcome, in
/// one place rather than in every handler. Runs outermost, so a failure is recorded with the status the caller got.
/// Only ids go into the resource (parsed, so a client's malformed text never does); never photos, vectors or metadata.
/// </summary>
internal sealed class AuditInterceptor(AuditLog log) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        if (!Audited(method))
        {
            return await continuation(request, context);
        }

        TResponse response;
        try
        {
            response = await continuation(request, context);
        }
        catch (Exception exception)
        {
            var status = exception switch
            {
                RpcException rpc => rpc.StatusCode,
                OperationCanceledException => StatusCode.Cancelled,
                _ => StatusCode.Internal,
            };
            if (Describe(method, request, null, context.RequestHeaders) is { } failed)
            {
                await RecordAsync(method, failed, OutcomeName(status), context.RequestHeaders);
            }

            throw;
        }

        if (Describe(method, request, response, context.RequestHeaders) is { } record)
        {
            await RecordAsync(method, record, "OK", context.RequestHeaders);
        }

        return response;
    }

    // Reads (search, verify) are queued so their answer does not wait for a commit; changes are written first.
    private Task RecordAsync(string method, AuditRecord record, string outcome, Metadata caller) =>
        method is "Search" or "Verify"
            ? log.EnqueueAsync(record, outcome, caller)
            : log.WriteAsync(record, outcome, caller, CancellationToken.None);

    private static bool Audited(string method) => method is "CreateTenant" or "SuspendTenant" or "ResumeTenant" or "DeleteTenant"
        or "CreateApiKey" or "RevokeApiKey" or "CreateCollection" or "UpdateCollection" or "DeleteCollection"
        or "CreateSubject" or "UpdateSubject" or "DeleteSubject" or "Enroll" or "DeleteFace" or "Search" or "Verify";

    /// <summary>Whose log, which action and resource; null when the call names no tenant there is a log for.</summary>
    private static AuditRecord? Describe(string method, object request, object? response, Metadata caller)
    {
        var actorTenant = AuditLog.ActorTenant(caller);
        var (tenant, action, resource) = (method, request) switch
        {
            ("CreateTenant", _) => (Id((response as Tenant)?.Id) ?? actorTenant, "tenant.created", Path("tenants", (response as Tenant)?.Id)),
            ("SuspendTenant", TenantRequest r) => (Id(r.TenantId), "tenant.suspended", Path("tenants", r.TenantId)),
            ("ResumeTenant", TenantRequest r) => (Id(r.TenantId), "tenant.resumed", Path("tenants", r.TenantId)),
            // The deleted tenant's log goes with it; the record of its deletion stays in the deleting admin's log.
            ("DeleteTenant", TenantRequest r) => (actorTenant, "tenant.deleted", Path("tenants", r.TenantId)),
            ("CreateApiKey", CreateApiKeyRequest r) => (Id(r.TenantId), "key.created", Path("keys", (response as CreateApiKeyResponse)?.ApiKey?.Id)),
            ("RevokeApiKey", RevokeApiKeyRequest r) => (Id(r.TenantId), "key.revoked", Path("keys", r.KeyId)),
            ("CreateCollection", CreateCollectionRequest r) => (Id(r.TenantId), "collection.created", Path("collections", (response as Collection)?.Id)),
            ("UpdateCollection", UpdateCollectionRequest r) => (Id(r.TenantId), "collection.updated", Path("collections", r.CollectionId)),
            ("DeleteCollection", DeleteCollectionRequest r) => (Id(r.TenantId), "collection.deleted", Path("collections", r.CollectionId)),
            ("CreateSubject", CreateSubjectRequest r) => (Id(r.TenantId), "subject.created",
                Path("collections", r.CollectionId, "subjects", (response as Subject)?.Id)),
            ("UpdateSubject", UpdateSubjectRequest r) => (Id(r.TenantId), "subject.updated", Path("collections", r.CollectionId, "subjects", r.SubjectId)),
            ("DeleteSubject", DeleteSubjectRequest r) => (Id(r.TenantId), "subject.deleted", Path("collections", r.CollectionId, "subjects", r.SubjectId)),
            ("Enroll", EnrollRequest r) => (Id(r.TenantId), "face.enrolled", Path("collections", r.CollectionId, "subjects", r.SubjectId,
                "faces", response is EnrollResponse { Faces.Count: 1 } enrolled ? enrolled.Faces[0].Id : null)),
            ("DeleteFace", DeleteFaceRequest r) => (Id(r.TenantId), "face.deleted", Path("collections", r.CollectionId, "faces", r.FaceId)),
            ("Search", SearchRequest r) => (Id(r.TenantId), "search", Path("collections", r.CollectionId)),
            ("Verify", VerifyEmbeddingRequest r) => (Id(r.TenantId), "verify", Path("collections", r.CollectionId, "subjects", r.SubjectId)),
            _ => (null, string.Empty, string.Empty),
        };
        return tenant is { } id ? new AuditRecord(id, action, resource) : null;
    }

    private static Guid? Id(string? value) => Guid.TryParse(value, out var id) ? id : null;

    /// <summary>"collections/{id}/subjects/{id}": each id as parsed ("?" when not an id), stopping at a missing one.</summary>
    private static string Path(params string?[] parts)
    {
        var path = new List<string>(parts.Length);
        for (var i = 0; i + 1 < parts.Length; i += 2)
        {
            if (string.IsNullOrEmpty(parts[i + 1]))
            {
                path.Add(parts[i]!);
                break;
            }

            path.Add($"{parts[i]}/{(Id(parts[i + 1]) is { } id ? id.ToString() : "?")}");
        }

        return string.Join('/', path);
    }

    // The names the gRPC specification gives the codes (NOT_FOUND, PERMISSION_DENIED, ...).
    private static string OutcomeName(StatusCode status) =>
        string.Concat(status.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();
}
