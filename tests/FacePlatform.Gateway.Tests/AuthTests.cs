using System.Security.Claims;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Rest;
using Grpc.Core;

namespace FacePlatform.Gateway.Tests;

public sealed class AuthTests
{
    [Theory]
    [InlineData(Policies.Read, new[] { Scope.Read, Scope.Write, Scope.Admin })]
    [InlineData(Policies.Write, new[] { Scope.Write, Scope.Admin })]
    [InlineData(Policies.Admin, new[] { Scope.Admin })]
    public void Each_policy_is_granted_by_its_scope_and_the_stronger_ones(string policy, Scope[] granting) =>
        Assert.Equal(granting, Policies.Granting(policy));

    [Fact]
    public void A_caller_is_read_from_the_claims_of_the_key()
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(Caller.TenantClaim, "tenant-1"),
            new Claim(Caller.KeyClaim, "key-1"),
            new Claim(Caller.ScopeClaim, nameof(Scope.Read)),
            new Claim(Caller.ScopeClaim, nameof(Scope.Write)),
        ], "test"));

        var caller = Caller.From(principal);

        Assert.Equal("tenant-1", caller.TenantId);
        Assert.Equal("key-1", caller.KeyId);
        Assert.Equal(new HashSet<Scope> { Scope.Read, Scope.Write }, caller.Scopes);
        Assert.False(caller.PlatformAdmin);
    }

    [Fact]
    public void An_unauthenticated_principal_has_no_caller() =>
        Assert.Throws<InvalidOperationException>(() => Caller.From(new ClaimsPrincipal(new ClaimsIdentity())));

    [Theory]
    [InlineData("tenant-a", false, "tenant-a", true)]
    [InlineData("tenant-a", false, "TENANT-A", true)]
    [InlineData("tenant-a", false, "tenant-b", false)]
    [InlineData("tenant-a", true, "tenant-b", true)]
    public void Only_the_platform_admin_manages_other_tenants(string own, bool platformAdmin, string target, bool allowed) =>
        Assert.Equal(allowed, new Caller(own, "k", new HashSet<Scope> { Scope.Admin }, platformAdmin).MayManage(target));

    [Theory]
    [InlineData("read", Scope.Read)]
    [InlineData("WRITE", Scope.Write)]
    [InlineData("admin", Scope.Admin)]
    public void Scope_names_parse_case_insensitively(string name, Scope scope) => Assert.Equal(scope, ScopeNames.Parse(name));

    [Fact]
    public void An_unknown_scope_name_is_an_invalid_argument()
    {
        var error = Assert.Throws<RpcException>(() => ScopeNames.Parse("superuser"));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("superuser", error.Status.Detail, StringComparison.Ordinal);
    }
}
