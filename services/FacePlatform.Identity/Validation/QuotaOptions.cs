using System.ComponentModel.DataAnnotations;

namespace FacePlatform.Identity.Validation;

/// <summary>
/// Per-tenant quotas (section <c>Quotas</c>): what one tenant may hold in total. A write that would exceed one is
/// refused with FAILED_PRECONDITION (REST 403) naming the quota and its value. <see cref="Tenants"/> overrides them
/// per tenant id.
/// </summary>
internal sealed class QuotaOptions : TenantQuota
{
    public const string Section = "Quotas";

    /// <summary>Overrides by tenant id; a value left unset keeps the default above.</summary>
    public Dictionary<Guid, TenantQuotaOverride> Tenants { get; } = [];

    /// <summary>The quotas of <paramref name="tenantId"/>.</summary>
    public TenantQuota For(Guid tenantId) => Tenants.TryGetValue(tenantId, out var custom)
        ? new TenantQuota
        {
            Collections = custom.Collections ?? Collections,
            Subjects = custom.Subjects ?? Subjects,
            Faces = custom.Faces ?? Faces,
            MetadataBytes = custom.MetadataBytes ?? MetadataBytes,
        }
        : this;
}

/// <summary>The quotas of one tenant.</summary>
internal class TenantQuota
{
    /// <summary>Collections a tenant may have.</summary>
    [Range(0, int.MaxValue)]
    public long Collections { get; set; } = 1_000;

    /// <summary>Subjects over all of a tenant's collections.</summary>
    [Range(0, long.MaxValue)]
    public long Subjects { get; set; } = 10_000_000;

    /// <summary>Enrolled faces over all of a tenant's collections.</summary>
    [Range(0, long.MaxValue)]
    public long Faces { get; set; } = 10_000_000;

    /// <summary>Bytes of subject metadata (as stored) over all of a tenant's subjects.</summary>
    [Range(0, long.MaxValue)]
    public long MetadataBytes { get; set; } = 1L << 30;
}

/// <summary>A tenant's own quotas; null keeps the default.</summary>
internal sealed class TenantQuotaOverride
{
    public long? Collections { get; set; }

    public long? Subjects { get; set; }

    public long? Faces { get; set; }

    public long? MetadataBytes { get; set; }
}
