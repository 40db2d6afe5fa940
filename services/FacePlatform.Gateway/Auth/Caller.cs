using System.Security.Claims;
using FacePlatform.Contracts.Internal.V1;

namespace FacePlatform.Gateway.Auth;

/// <summary>Who is calling: the tenant and scopes of the API key, read from the authenticated principal.</summary>
internal sealed record Caller(string TenantId, string KeyId, IReadOnlySet<Scope> Scopes, bool PlatformAdmin)
{
    public const string TenantClaim = "faceplatform:tenant";
    public const string KeyClaim = "faceplatform:key";
    public const string ScopeClaim = "faceplatform:scope";
    public const string PlatformAdminClaim = "faceplatform:platform-admin";

    public static Caller From(ClaimsPrincipal user) => new(
        user.FindFirstValue(TenantClaim) ?? throw new InvalidOperationException("the request was not authenticated"),
        user.FindFirstValue(KeyClaim) ?? string.Empty,
        user.FindAll(ScopeClaim).Select(c => Enum.Parse<Scope>(c.Value)).ToHashSet(),
        user.HasClaim(PlatformAdminClaim, "true"));

    /// <summary>Whether this caller may manage the keys of <paramref name="tenantId"/>.</summary>
    public bool MayManage(string tenantId) => PlatformAdmin || string.Equals(tenantId, TenantId, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Authorization policies, one per scope. Admin implies write, write implies read.</summary>
internal static class Policies
{
    public const string Read = "scope:read";
    public const string Write = "scope:write";
    public const string Admin = "scope:admin";

    public static Scope[] Granting(string policy) => policy switch
    {
        Read => [Scope.Read, Scope.Write, Scope.Admin],
        Write => [Scope.Write, Scope.Admin],
        Admin => [Scope.Admin],
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown policy"),
    };
}
