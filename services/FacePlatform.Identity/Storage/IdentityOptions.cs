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
    /// Length of the SimHash code of each face in new collections (existing collections keep theirs). Search scans
    /// these codes in memory (or walks an HNSW index on them) by Hamming distance and re-ranks
    /// <see cref="RerankCandidates"/> of them exactly; more
    /// bits estimate the angle more finely (standard deviation ∝ 1/√bits) and cost 1 byte per 8 bits and row.
    /// </summary>
    [Range(64, 4096)]
    public int CodeBits { get; set; } = 1024;

    /// <summary>
    /// HNSW <c>m</c> of the code index each new collection's partition gets (existing indexes keep theirs); 0, the
    /// default, gives new collections none. Search scans the codes in memory (<see cref="ScanMemoryMegabytes"/>), which
    /// at 1M faces found the exact nearest face where the HNSW code index found 0.33–0.56 of them, and an enrolment
    /// without the index costs a third of the time (608 against 187 faces/s here; docs/benchmarks.md). Set it (32, with
    /// <see cref="HnswEfConstruction"/> 128: recall@1 0.990 at 100k with <see cref="EfSearch"/> 200) for galleries
    /// larger than the memory budget. A collection over the budget without an index gets one built in the background at
    /// its first search (<see cref="Search.CodeIndexes"/>, with m 32 when this is 0); with an index, a large collection's
    /// searches use it while its codes are read in the background (<see cref="Search.SearchPlanner"/>).
    /// </summary>
    [Range(0, 100)]
    public int HnswM { get; set; }

    /// <summary>HNSW <c>ef_construction</c> of new collections' code indexes; at least twice <see cref="HnswM"/>.</summary>
    [Range(4, 1000)]
    public int HnswEfConstruction { get; set; } = 128;

    /// <summary>
    /// <c>hnsw.ef_search</c> of the code index for every search that names none; raised to the number of candidates a
    /// query re-ranks (an HNSW scan returns at most ef_search rows). At 100k FaceRes-derived faces with m 32 recall@1
    /// depends on this alone: 0.980 at 100, 0.990 at 200, 0.997 at 400 (docs/benchmarks.md).
    /// </summary>
    [Range(1, 1000)]
    public int EfSearch { get; set; } = 200;

    /// <summary>
    /// Faces per query taken by Hamming distance (from the scan or the code index) and re-ranked by their exact cosine
    /// similarity in PostgreSQL, for searches that name none; never fewer than <see cref="CandidatesPerSubject"/> × the
    /// search's top-k. At 1M faces the scan re-ranking 20, 32 or 100 found the exact nearest face of every query and
    /// every identity mate in the top 10 on both benchmark data sets (docs/benchmarks.md). Each candidate is a random
    /// heap read in PostgreSQL — a disk read when the gallery's heap is not in memory (1M `synthetic` faces, heap
    /// partly on disk: p50 4.8 ms with 32, 14.5 ms with 100) — hence 32. On the 100k HNSW runs recall did not change
    /// between 50, 100 and 200; with a code index, 100 is the measured choice.
    /// </summary>
    [Range(1, 1000)]
    public int RerankCandidates { get; set; } = 32;

    /// <summary>
    /// <c>ivfflat.probes</c> set with every search when above 0, for collections whose code index an operator rebuilt
    /// as IVFFlat after loading (docs/benchmarks.md: at 1M faces the IVFFlat build took 44 s here, HNSW m 16 553 s,
    /// but IVFFlat's recall@1 stayed at 0.34–0.74 for probes 10–80). 0 leaves PostgreSQL's setting alone.
    /// </summary>
    [Range(0, 10_000)]
    public int IvfProbes { get; set; }

    /// <summary>
    /// Memory for in-memory copies of collections' codes (<see cref="Search.CodeScans"/>), searched exhaustively:
    /// ~170 B per face of 1024-bit codes with ids (the estimate that decides whether a collection fits counts twice
    /// that, for the arrays' growth). At 1M faces the scan plus exact re-ranking found the exact nearest face of 1.000
    /// of queries (0.997 against float32 ground truth through the service) where HNSW found 0.33–0.56
    /// (docs/benchmarks.md). Least recently searched collections are dropped to stay within it; a collection larger than
    /// the whole budget is searched in PostgreSQL (its code index, or a sort without one). 0 turns the copies off.
    /// </summary>
    [Range(0, 1 << 20)]
    public int ScanMemoryMegabytes { get; set; } = 2048;

    /// <summary>
    /// With code indexes (<see cref="HnswM"/> above 0), a collection of at most this many faces is read into memory
    /// during its first search (1M faces took 1.4 s here from a cold cache), a larger one in the background while its searches use the
    /// index. Without them every first search waits for the read.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int ScanInlineLoadFaces { get; set; } = 50_000;

    /// <summary>
    /// A collection that does not fit <see cref="ScanMemoryMegabytes"/> and has no code index is searched by sorting its
    /// partition by Hamming distance when it holds at most this many faces; a larger one gets its code index built in
    /// the background (<see cref="Search.CodeIndexes"/>) and is sorted only until the build ends (docs/scale.md has
    /// the measured cost of a sort).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int ExactSearchFaces { get; set; } = 20_000;

    /// <summary>
    /// At start, once the schema is current, read the codes of collections into memory (largest first, while they fit
    /// <see cref="ScanMemoryMegabytes"/>), so that the first searches after a restart or a scale-out do not wait for
    /// them (1M faces: 1.4 s from a cold cache through the covering index, and 50 s before it; docs/benchmarks.md).
    /// </summary>
    public bool ScanWarmup { get; set; } = true;

    /// <summary>
    /// How long a read that must see this process's own write waits for the read replica to replay it before it reads
    /// the primary instead (<see cref="Galleries.ReadRouting"/>; only with <c>ConnectionStrings:PostgresReadOnly</c>).
    /// </summary>
    [Range(0, 10_000)]
    public int ReplicaWaitMilliseconds { get; set; } = 200;

    /// <summary>How long after a write its collection's reads still check the replica's replay position.</summary>
    [Range(1, 3600)]
    public int ReadYourWritesSeconds { get; set; } = 60;

    /// <summary>How long reads avoid a database (primary or replica) that could not be reached.</summary>
    [Range(0.1, 600)]
    public double DatabaseRetrySeconds { get; set; } = 5;

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
