using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Auth;
using Grpc.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FacePlatform.Gateway.Rest;

/// <summary>
/// <c>/v1/admin</c>: tenants and API keys (admin scope). The platform tenant's admin keys manage every tenant; another
/// tenant's admin keys manage only that tenant's keys, and see other tenants as not found.
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
    }

    private static async Task<Created<TenantView>> CreateTenantAsync(
        CreateTenantBody body, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        RequirePlatformAdmin(Caller.From(http.User));
        var tenant = await identity.CreateTenantAsync(new CreateTenantRequest { Name = body.Name ?? string.Empty },
            cancellationToken: http.RequestAborted);
        return TypedResults.Created($"/v1/admin/tenants/{tenant.Id}", TenantView.From(tenant));
    }

    private static async Task<Ok<IReadOnlyList<TenantView>>> ListTenantsAsync(
        HttpContext http, IdentityService.IdentityServiceClient identity, int? pageSize, string? pageToken)
    {
        RequirePlatformAdmin(Caller.From(http.User));
        var page = await identity.ListTenantsAsync(new ListTenantsRequest
        {
            Page = new PageRequest { PageSize = pageSize ?? 0, PageToken = pageToken ?? string.Empty },
        }, cancellationToken: http.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<TenantView>>(page.Tenants.Select(TenantView.From).ToList());
    }

    private static async Task<Created<CreatedApiKey>> CreateKeyAsync(
        string tenantId, CreateApiKeyBody body, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        RequireManage(Caller.From(http.User), tenantId);
        var request = new CreateApiKeyRequest { TenantId = tenantId, Name = body.Name ?? string.Empty };
        request.Scopes.AddRange((body.Scopes ?? []).Select(ScopeNames.Parse));
        var created = await identity.CreateApiKeyAsync(request, cancellationToken: http.RequestAborted);
        return TypedResults.Created($"/v1/admin/tenants/{tenantId}/keys/{created.ApiKey.Id}",
            new CreatedApiKey(ApiKeyView.From(created.ApiKey), created.Key));
    }

    private static async Task<Ok<IReadOnlyList<ApiKeyView>>> ListKeysAsync(
        string tenantId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        RequireManage(Caller.From(http.User), tenantId);
        var page = await identity.ListApiKeysAsync(new ListApiKeysRequest { TenantId = tenantId },
            cancellationToken: http.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<ApiKeyView>>(page.ApiKeys.Select(ApiKeyView.From).ToList());
    }

    private static async Task<Ok<ApiKeyView>> RevokeKeyAsync(
        string tenantId, string keyId, HttpContext http, IdentityService.IdentityServiceClient identity)
    {
        RequireManage(Caller.From(http.User), tenantId);
        var revoked = await identity.RevokeApiKeyAsync(new RevokeApiKeyRequest { TenantId = tenantId, KeyId = keyId },
            cancellationToken: http.RequestAborted);
        return TypedResults.Ok(ApiKeyView.From(revoked));
    }

    private static void RequirePlatformAdmin(Caller caller)
    {
        if (!caller.PlatformAdmin)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "only the platform tenant's admin keys manage tenants"));
        }
    }

    private static void RequireManage(Caller caller, string tenantId)
    {
        if (!caller.MayManage(tenantId))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"tenant '{tenantId}' was not found"));
        }
    }
}
