using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Admin;
using FacePlatform.Gateway.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FacePlatform.Gateway.Rest;

/// <summary>
/// <c>/v1/admin</c>: tenants, API keys and audit logs (admin scope). The platform tenant's admin keys manage every
/// tenant (create, suspend, resume, delete); another tenant's admin keys manage only that tenant's keys and read only
/// its audit log, and see other tenants as not found.
/// </summary>
internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Policies.Admin);

        admin.MapPost("/tenants", CreateTenantAsync).WithSummary("Create a tenant (platform admin)");
        admin.MapGet("/tenants", ListTenantsAsync).WithSummary("List tenants (platform admin)");
        admin.MapPost("/tenants/{tenantId}/keys", CreateKeyAsync)
            .WithSummary("Create an API key")
            .WithDescription("The answer holds the key itself; it is shown this once and only its hash is stored.");
        admin.MapGet("/tenants/{tenantId}/keys", ListKeysAsync).WithSummary("List a tenant's API keys");
        admin.MapDelete("/tenants/{tenantId}/keys/{keyId}", RevokeKeyAsync).WithSummary("Revoke an API key");
        admin.MapPost("/tenants/{tenantId}:suspend", SuspendTenantAsync)
            .WithSummary("Suspend a tenant (platform admin)")
            .WithDescription("Every key of the tenant is refused (403, tenant suspended) until it is resumed; its data is kept.");
        admin.MapPost("/tenants/{tenantId}:resume", ResumeTenantAsync).WithSummary("Resume a suspended tenant (platform admin)");
        admin.MapDelete("/tenants/{tenantId}", DeleteTenantAsync)
            .WithSummary("Delete a tenant and all its data (platform admin)")
            .WithDescription("Removes its keys, collections, subjects, faces (vectors), audit log and every cached answer. " +
                "A record of the deletion stays in the platform tenant's audit log. The platform's own tenant cannot be deleted.");
        admin.MapGet("/tenants/{tenantId}/audit", ListAuditEventsAsync)
            .WithSummary("A tenant's audit log, newest first")
            .WithDescription("Who (key, tenant) did what (action, resource ids), when, from where (client address), with " +
                "which outcome. A tenant's admins read their own tenant's log; the platform's admins any.");
    }

    private static async Task<Ok<TenantView>> SuspendTenantAsync(string tenantId, HttpContext http, TenantAdministration tenants) =>
        TypedResults.Ok(TenantView.From(await tenants.SuspendAsync(Caller.From(http.User), tenantId, http.RequestAborted)));

    private static async Task<Ok<TenantView>> ResumeTenantAsync(string tenantId, HttpContext http, TenantAdministration tenants) =>
        TypedResults.Ok(TenantView.From(await tenants.ResumeAsync(Caller.From(http.User), tenantId, http.RequestAborted)));

    private static async Task<Ok<TenantDeleteResult>> DeleteTenantAsync(string tenantId, HttpContext http, TenantAdministration tenants) =>
        TypedResults.Ok(TenantDeleteResult.From(await tenants.DeleteAsync(Caller.From(http.User), tenantId, http.RequestAborted)));

    private static async Task<Ok<AuditPage>> ListAuditEventsAsync(
        string tenantId, HttpContext http, TenantAdministration tenants, int? pageSize, string? pageToken)
    {
        var page = await tenants.ListAuditEventsAsync(Caller.From(http.User), tenantId,
            new PageRequest { PageSize = pageSize ?? 0, PageToken = pageToken ?? string.Empty }, http.RequestAborted);
        return TypedResults.Ok(AuditPage.From(page));
    }

    private static async Task<Created<TenantView>> CreateTenantAsync(
        CreateTenantBody body, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        TenantAdministration.RequirePlatformAdmin(Caller.From(http.User));
        var tenant = await identity.CreateTenantAsync(new CreateTenantRequest { Name = body.Name ?? string.Empty },
            cancellationToken: http.RequestAborted);
        return TypedResults.Created($"/v1/admin/tenants/{tenant.Id}", TenantView.From(tenant));
    }

    private static async Task<Ok<IReadOnlyList<TenantView>>> ListTenantsAsync(
        HttpContext http, IdentityService.IdentityServiceClient identity, int? pageSize, string? pageToken)
    {
        TenantAdministration.RequirePlatformAdmin(Caller.From(http.User));
        var page = await identity.ListTenantsAsync(new ListTenantsRequest
        {
            Page = new PageRequest { PageSize = pageSize ?? 0, PageToken = pageToken ?? string.Empty },
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<TenantView>>(page.Tenants.Select(TenantView.From).ToList());
    }

    private static async Task<Created<CreatedApiKey>> CreateKeyAsync(
        string tenantId, CreateApiKeyBody body, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        TenantAdministration.RequireManage(Caller.From(http.User), tenantId);
        var request = new CreateApiKeyRequest
        {
            TenantId = tenantId,
            Name = body.Name ?? string.Empty,
            ExpiresAt = body.ExpiresAt is { } expires ? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(expires) : null,
        };
        request.Scopes.AddRange((body.Scopes ?? []).Select(ScopeNames.Parse));
        var created = await identity.CreateApiKeyAsync(request, cancellationToken: http.RequestAborted);
        return TypedResults.Created($"/v1/admin/tenants/{tenantId}/keys/{created.ApiKey.Id}",
            new CreatedApiKey(ApiKeyView.From(created.ApiKey), created.Key));
    }

    private static async Task<Ok<IReadOnlyList<ApiKeyView>>> ListKeysAsync(
        string tenantId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        TenantAdministration.RequireManage(Caller.From(http.User), tenantId);
        var page = await identity.ListApiKeysAsync(new ListApiKeysRequest { TenantId = tenantId },
            cancellationToken: http.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<ApiKeyView>>(page.ApiKeys.Select(ApiKeyView.From).ToList());
    }

    private static async Task<Ok<ApiKeyView>> RevokeKeyAsync(
        string tenantId, string keyId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        TenantAdministration.RequireManage(Caller.From(http.User), tenantId);
        var revoked = await identity.RevokeApiKeyAsync(new RevokeApiKeyRequest { TenantId = tenantId, KeyId = keyId },
            cancellationToken: http.RequestAborted);
        return TypedResults.Ok(ApiKeyView.From(revoked));
    }
}
