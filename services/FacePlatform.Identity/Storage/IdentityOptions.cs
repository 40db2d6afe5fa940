using System.ComponentModel.DataAnnotations;

namespace FacePlatform.Identity.Storage;

/// <summary>Settings of the identity service (section <c>Identity</c>).</summary>
internal sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>Model of new collections when the caller names none.</summary>
    [Required]
    public string DefaultModelId { get; set; } = "faceres";

    /// <summary>Dimension of <see cref="DefaultModelId"/>.</summary>
    [Range(1, IdentityDbContext.EmbeddingColumnDimension)]
    public int DefaultDimension { get; set; } = 1024;

    /// <summary>
    /// When set, the service makes sure a tenant named "admin" exists with this key (scopes read, write, admin).
    /// <c>deploy/local/up.sh</c> and the Helm chart's secret pass it; it is hashed before it is stored.
    /// </summary>
    public string? BootstrapAdminApiKey { get; set; }

    /// <summary>Apply the migrations (and the bootstrap key), then exit: the Helm chart's pre-upgrade hook runs this.</summary>
    public bool MigrateOnly { get; set; }

    /// <summary>Seconds between attempts to reach PostgreSQL at start.</summary>
    [Range(1, 60)]
    public int StartupRetrySeconds { get; set; } = 2;
}
