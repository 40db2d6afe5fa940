using System.Globalization;

namespace FacePlatform.Bench.Search;

/// <summary>Command line of the benchmark; every option has a default that matches docs/benchmarks.md.</summary>
internal sealed record BenchOptions
{
    /// <summary>gRPC address of a running identity service.</summary>
    public string Identity { get; init; } = "http://127.0.0.1:5103";

    /// <summary>The service's own database (for index builds, sizes and the raw-SQL comparison).</summary>
    public string Postgres { get; init; } = "Host=127.0.0.1;Port=55432;Username=faceplatform;Password=faceplatform;Database=faceplatform";

    public int Faces { get; init; } = 100_000;
    public int FacesPerIdentity { get; init; } = 5;
    public int Dimension { get; init; } = 1024;

    /// <summary>synthetic (random centres: nearly orthogonal identities) or faceres (non-negative, from real descriptors).</summary>
    public string Data { get; init; } = "synthetic";

    public string FaceResReference { get; init; } = "../shared/reference/human-harness/reference-output.json";
    public int Queries { get; init; } = 300;
    public IReadOnlyList<int> EfSearch { get; init; } = [40, 100, 200];
    public int Clients { get; init; } = 8;
    public int M { get; init; } = 16;
    public int EfConstruction { get; init; } = 64;

    /// <summary>Drop the collection's index before loading and build it once afterwards (the bulk path).</summary>
    public bool BuildAfterLoad { get; init; } = true;

    /// <summary>When above 0: the latency of a 10k collection before and after another tenant stores this many faces.</summary>
    public int OtherTenantFaces { get; init; }

    public int Seed { get; init; } = 42;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            options = args[i] switch
            {
                "--identity" => options with { Identity = value },
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
                "--other-tenant-faces" => options with { OtherTenantFaces = Int(value) },
                "--seed" => options with { Seed = Int(value) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
