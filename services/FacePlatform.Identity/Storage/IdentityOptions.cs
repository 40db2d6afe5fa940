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

    /// <summary>
    /// HNSW <c>m</c> of the index each new collection's partition gets (existing indexes keep theirs). On 100k
    /// non-negative FaceRes-derived faces (docs/benchmarks.md) m 32 / ef_construction 128 gave recall@1 1.000 at
    /// ef_search 100 where pgvector's default 16 / 64 gave 0.903 (0.963 at 200); the build took ~5× longer.
    /// </summary>
    [Range(2, 100)]
    public int HnswM { get; set; } = 32;

    /// <summary>HNSW <c>ef_construction</c> of new collections' indexes; at least twice <see cref="HnswM"/>.</summary>
    [Range(4, 1000)]
    public int HnswEfConstruction { get; set; } = 128;

    /// <summary>
    /// <c>hnsw.ef_search</c> of every search that names none (raised to the number of candidates a query needs).
    /// Measured on 100k faces (docs/benchmarks.md): the orthogonal synthetic worst case needs 400 for recall@1 ≥ 0.99
    /// (0.997, same-identity faces in the top 10 0.995, with m 16; 200 gives 0.987); FaceRes-derived faces with m 32
    /// reach 1.000 already at 100, so FaceRes-only deployments can lower this to 100–200 for half the latency.
    /// </summary>
    [Range(1, 1000)]
    public int EfSearch { get; set; } = 400;

    /// <summary>Faces fetched per requested subject before grouping by subject (a subject has several faces).</summary>
    [Range(1, 20)]
    public int CandidatesPerSubject { get; set; } = 4;

    /// <summary>
    /// Cosine similarity below which a search match is dropped, when the request names no threshold and
    /// <see cref="ModelThresholds"/> has none for the collection's model.
    /// </summary>
    [Range(-1.0, 1.0)]
    public float DefaultThreshold { get; set; } = 0.5f;

    /// <summary>Per-model default thresholds (model id → cosine similarity); set them from the accuracy evaluation.</summary>
    public Dictionary<string, float> ModelThresholds { get; } = new(StringComparer.Ordinal);

    /// <summary>Faces one Enroll call may carry.</summary>
    [Range(1, 100_000)]
    public int MaxFacesPerEnroll { get; set; } = 10_000;

    /// <summary>How long Redis keeps a collection's cached answers after the last write to them.</summary>
    [Range(1, 86_400)]
    public int CacheSeconds { get; set; } = 600;

    /// <summary>The threshold that applies to a collection of <paramref name="modelId"/> when the caller gives none.</summary>
    public float ThresholdFor(string modelId) =>
        ModelThresholds.TryGetValue(modelId, out var threshold) ? threshold : DefaultThreshold;
}
