using System.Collections.Concurrent;

namespace FacePlatform.Gateway.Auth;

/// <summary>
/// Tenants suspended, resumed or deleted through this gateway within the last Auth:KeyCacheSeconds. The gateway caches
/// authentication answers for that long; for these tenants the cached answers are not trusted and every request asks
/// identity again, so a suspension or deletion refuses the tenant's keys at once on this replica (other replicas
/// within Auth:KeyCacheSeconds).
/// </summary>
internal sealed class TenantChanges(Microsoft.Extensions.Options.IOptions<ApiKeyAuthOptions> options)
{
    private readonly ConcurrentDictionary<string, long> _recheckUntil = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Distrust the cached answers of <paramref name="tenantId"/>'s keys from now on, for a cache lifetime.</summary>
    public void Changed(string tenantId) =>
        _recheckUntil[Normalised(tenantId)] = Environment.TickCount64 + 1000L * (options.Value.KeyCacheSeconds + 1);

    /// <summary>Whether a cached answer for a key of <paramref name="tenantId"/> must be checked with identity again.</summary>
    public bool RecentlyChanged(string tenantId)
    {
        tenantId = Normalised(tenantId);
        if (_recheckUntil.IsEmpty || !_recheckUntil.TryGetValue(tenantId, out var until))
        {
            return false;
        }

        if (Environment.TickCount64 < until)
        {
            return true;
        }

        _recheckUntil.TryRemove(new KeyValuePair<string, long>(tenantId, until));
        return false;
    }

    // Authentication answers carry the id as identity prints it; a caller's path may spell it otherwise.
    private static string Normalised(string tenantId) => Guid.TryParse(tenantId, out var id) ? id.ToString() : tenantId;
}
