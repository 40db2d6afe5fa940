using System.Globalization;

namespace FacePlatform.Bench.Search;

/// <summary>Command line of the benchmark; every option has a default that matches docs/benchmarks.md.</summary>
internal sealed record BenchOptions
{
    /// <summary>
    /// gRPC address of a running identity service (mutual TLS: see <see cref="Pki"/>; an <c>http://</c> address is
    /// called in h2c). Several, comma-separated, compare builds or transports in one run: the first loads and is
    /// asked everything; every sweep row is then run against each of them in turn (<see cref="Rounds"/>).
    /// </summary>
    public string Identity { get; init; } = "https://127.0.0.1:5103";

    /// <summary>The addresses in <see cref="Identity"/>.</summary>
    public IReadOnlyList<string> Identities => Identity.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// How many times the sweep is run against every address; rounds after the first use new queries (no recall),
    /// and odd rounds take the addresses in reverse order, so that neither side always runs first.
    /// </summary>
    public int Rounds { get; init; } = 1;

    /// <summary>
    /// Folder of the platform's certificates (deploy/local/pki.sh: ca.crt, NAME.crt, NAME.key): the benchmark calls
    /// identity as <see cref="Caller"/>, since identity answers only the callers it allows (the gateway).
    /// </summary>
    public string Pki { get; init; } = Path.Combine(Environment.GetEnvironmentVariable("FACEPLATFORM_DATA_DIR") ?? ".data", "pki");

    /// <summary>Whose certificate in <see cref="Pki"/> the benchmark presents.</summary>
    public string Caller { get; init; } = "gateway";

    /// <summary>The service's own database (for index builds, sizes and the raw-SQL comparison).</summary>
    public string Postgres { get; init; } = "Host=127.0.0.1;Port=55432;Username=faceplatform;Password=faceplatform;Database=faceplatform";

    public int Faces { get; init; } = 100_000;
    public int FacesPerIdentity { get; init; } = 5;
    public int Dimension { get; init; } = 1024;

    /// <summary>synthetic (random centres: nearly orthogonal identities) or faceres (non-negative, from real descriptors).</summary>
    public string Data { get; init; } = "synthetic";

    public string FaceResReference { get; init; } = "../shared/reference/human-harness/reference-output.json";
    public int Queries { get; init; } = 300;
    public IReadOnlyList<int> EfSearch { get; init; } = [100, 200, 400];

    /// <summary>Faces re-ranked per query (SearchRequest.rerank_candidates); each is run with every larger-or-equal ef_search.</summary>
    public IReadOnlyList<int> Rerank { get; init; } = [100, 200];
    public int Clients { get; init; } = 8;
    /// <summary>HNSW m and ef_construction of the code index the bench builds after loading.</summary>
    public int M { get; init; } = 32;
    public int EfConstruction { get; init; } = 128;

    /// <summary>Drop the collection's index before loading and build it once afterwards (the bulk path).</summary>
    public bool BuildAfterLoad { get; init; } = true;

    /// <summary>
    /// Load the gallery by binary COPY straight into its partition (subjects and faces with their SimHash codes)
    /// instead of through the service: for galleries too large to enrol here in reasonable time (1M faces).
    /// </summary>
    public bool BulkCopy { get; init; }

    /// <summary>Also run every sweep row with <see cref="Clients"/> concurrent clients.</summary>
    public bool Concurrent { get; init; } = true;

    /// <summary>When above 0: the latency of a 10k collection before and after another tenant stores this many faces.</summary>
    public int OtherTenantFaces { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>
    /// hnsw (the service's partition DDL), ivfflat (the alternative, built by the bench with <see cref="Lists"/>) or
    /// none (the index is dropped and not built: for a service that scans its in-memory codes, Identity:ScanMemoryMegabytes).
    /// </summary>
    public string CodeIndex { get; init; } = "hnsw";

    public int Lists { get; init; } = 1000;

    /// <summary>ivfflat.probes values to sweep with raw SQL (IVFFlat code index only).</summary>
    public IReadOnlyList<int> Probes { get; init; } = [];

    /// <summary>
    /// Compute the ground truth (exact search, 70 s at 1M) and recall; false measures latency only, with the generated
    /// faces released first so the bench's own garbage collections stay small.
    /// </summary>
    public bool Recall { get; init; } = true;

    /// <summary>Searches (other queries) before the measured rows, so the first row is warm like the others.</summary>
    public int Warmup { get; init; } = 300;

    /// <summary>
    /// First-stage widths (bits; 0 = the service's default) of the in-process scans whose recall and time are reported.
    /// Only the default width has an unrolled kernel; other widths take the generic loop, so compare their times with care.
    /// </summary>
    public IReadOnlyList<int> ScanHeadBits { get; init; } = [0];

    /// <summary>Search this bulk-copied collection of an earlier run (same data options) instead of loading a new one.</summary>
    public string? Collection { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            options = args[i] switch
            {
                "--identity" => options with { Identity = value },
                "--pki" => options with { Pki = value },
                "--caller" => options with { Caller = value },
                "--postgres" => options with { Postgres = value },
                "--faces" => options with { Faces = Int(value) },
                "--faces-per-identity" => options with { FacesPerIdentity = Int(value) },
                "--dimension" => options with { Dimension = Int(value) },
                "--data" => options with { Data = value },
                "--faceres-reference" => options with { FaceResReference = value },
                "--queries" => options with { Queries = Int(value) },
                "--ef-search" => options with { EfSearch = value.Split(',').Select(Int).ToList() },
                "--clients" => options with { Clients = Int(value) },
                "--m" => options with { M = Int(value) },
                "--ef-construction" => options with { EfConstruction = Int(value) },
                "--build-after-load" => options with { BuildAfterLoad = bool.Parse(value) },
                "--bulk-copy" => options with { BulkCopy = bool.Parse(value) },
                "--concurrent" => options with { Concurrent = bool.Parse(value) },
                "--rerank" => options with { Rerank = value.Split(',').Select(Int).ToList() },
                "--other-tenant-faces" => options with { OtherTenantFaces = Int(value) },
                "--seed" => options with { Seed = Int(value) },
                "--collection" => options with { Collection = value },
                "--warmup" => options with { Warmup = Int(value) },
                "--recall" => options with { Recall = bool.Parse(value) },
                "--rounds" => options with { Rounds = Int(value) },
                "--scan-head-bits" => options with { ScanHeadBits = value.Split(',').Select(Int).ToList() },
                "--code-index" => options with { CodeIndex = value },
                "--lists" => options with { Lists = Int(value) },
                "--probes" => options with { Probes = value.Split(',').Select(Int).ToList() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
