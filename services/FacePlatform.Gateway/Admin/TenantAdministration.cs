using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Auth;
using Grpc.Core;

namespace FacePlatform.Gateway.Admin;

/// <summary>
/// Tenant lifecycle and audit as REST and gRPC both offer them: who may do what, then one call to identity. Suspending,
/// resuming and deleting are for the platform tenant's admin keys; a tenant's admin keys read their own tenant's audit
/// log, and see other tenants as not found.
/// </summary>
internal sealed class TenantAdministration(IdentityService.IdentityServiceClient identity, TenantChanges changes)
{
    public async Task<Tenant> SuspendAsync(Caller caller, string tenantId, CancellationToken cancellationToken)
    {
        RequirePlatformAdmin(caller);
        var tenant = await identity.SuspendTenantAsync(new TenantRequest { TenantId = tenantId }, cancellationToken: cancellationToken);
        changes.Changed(tenant.Id);
        return tenant;
    }

    public async Task<Tenant> ResumeAsync(Caller caller, string tenantId, CancellationToken cancellationToken)
    {
        RequirePlatformAdmin(caller);
        var tenant = await identity.ResumeTenantAsync(new TenantRequest { TenantId = tenantId }, cancellationToken: cancellationToken);
        changes.Changed(tenant.Id);
        return tenant;
    }

    public async Task<DeleteTenantResponse> DeleteAsync(Caller caller, string tenantId, CancellationToken cancellationToken)
    {
        RequirePlatformAdmin(caller);
        var deleted = await identity.DeleteTenantAsync(new TenantRequest { TenantId = tenantId }, cancellationToken: cancellationToken);
        changes.Changed(tenantId);
        return deleted;
    }

    public async Task<ListAuditEventsResponse> ListAuditEventsAsync(
        Caller caller, string tenantId, PageRequest page, CancellationToken cancellationToken)
    {
        RequireManage(caller, tenantId);
        return await identity.ListAuditEventsAsync(new ListAuditEventsRequest { TenantId = tenantId, Page = page },
            cancellationToken: cancellationToken);
    }

    /// <summary>Only the platform tenant's admin keys manage tenants.</summary>
    public static void RequirePlatformAdmin(Caller caller)
    {
        if (!caller.PlatformAdmin)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "only the platform tenant's admin keys manage tenants"));
        }
    }

    /// <summary>A tenant's admin keys manage only their tenant; any other tenant is not found for them.</summary>
    public static void RequireManage(Caller caller, string tenantId)
    {
        if (!caller.MayManage(tenantId))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"tenant '{tenantId}' was not found"));
        }
    }
}
