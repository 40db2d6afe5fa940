using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Gateway.Admin;
using FacePlatform.Gateway.Auth;
using Grpc.Core;

namespace FacePlatform.Gateway.Tests;

/// <summary>Who may run tenant lifecycle and read audit logs, and how a change bypasses cached key checks.</summary>
public sealed class TenantAdministrationTests
{
    private const string Tenant = "0190a5b0-0000-7000-8000-000000000001";

    [Fact]
    public void Only_a_platform_admin_manages_tenants()
    {
        var tenantAdmin = new Caller(Tenant, "k", new HashSet<Scope> { Scope.Admin }, PlatformAdmin: false);
        var platformAdmin = tenantAdmin with { TenantId = "0190a5b0-0000-7000-8000-0000000000aa", PlatformAdmin = true };

        var refused = Assert.Throws<RpcException>(() => TenantAdministration.RequirePlatformAdmin(tenantAdmin));
        TenantAdministration.RequirePlatformAdmin(platformAdmin);

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    [Fact]
    public void A_tenant_admin_reads_only_its_own_tenant_and_sees_others_as_not_found()
    {
        var tenantAdmin = new Caller(Tenant, "k", new HashSet<Scope> { Scope.Admin }, PlatformAdmin: false);

        TenantAdministration.RequireManage(tenantAdmin, Tenant.ToUpperInvariant());
        var other = Assert.Throws<RpcException>(() => TenantAdministration.RequireManage(tenantAdmin, "0190a5b0-0000-7000-8000-000000000002"));

        Assert.Equal(StatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public void A_changed_tenant_is_rechecked_however_its_id_is_spelled_and_others_are_not()
    {
        var changes = new TenantChanges(Microsoft.Extensions.Options.Options.Create(new ApiKeyAuthOptions { KeyCacheSeconds = 10 }));

        Assert.False(changes.RecentlyChanged(Tenant));
        changes.Changed(Guid.Parse(Tenant).ToString("N"));

        Assert.True(changes.RecentlyChanged(Tenant));
        Assert.False(changes.RecentlyChanged("0190a5b0-0000-7000-8000-000000000002"));
    }
}
