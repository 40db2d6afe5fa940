using System.Diagnostics.Metrics;

namespace FacePlatform.ServiceDefaults.Telemetry;

/// <summary>
/// Bucket boundaries (seconds) of the platform's duration histograms, one set per kind of duration, given to each
/// histogram as <see cref="InstrumentAdvice{T}"/> when it is created. The defaults of OpenTelemetry (0, 5, 10, 25 … 10000,
/// meant for milliseconds) put every call of a service measured in seconds into the first bucket or two, and a p50/p99
/// panel then shows that bucket's edge. The sets follow what docs/benchmarks.md measured; each has several boundaries
/// around its measured p50 and p99 and a tail up to where the gateway's deadlines cut calls off.
/// Model runs have their set in FacePlatform.Vision (<c>InferenceTelemetry.ModelRunBuckets</c>), which every
/// process using the models references, and this library does not.
/// </summary>
public static class DurationBuckets
{
    /// <summary>
    /// One gRPC or HTTP call (server or client side): internal calls take 1–20 ms (a search of 1M faces p50 5–11 ms,
    /// p99 12–23 ms; a model run 1–15 ms), a REST analyse 50–100 ms; the tail reaches the 30 s default deadline.
    /// </summary>
    public static IReadOnlyList<double> Call { get; } =
    [
        0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.06, 0.075, 0.09, 0.1, 0.125, 0.15, 0.2,
        0.3, 0.5, 1, 2.5, 5, 10, 30,
    ];

    /// <summary>
    /// A gallery search inside the identity service: cache hits 0.5–2 ms, the in-memory scan of 1M faces p50 5–11 ms,
    /// p99 9–23 ms on the development machine; PostgreSQL index searches of large galleries 50–120 ms.
    /// </summary>
    public static IReadOnlyList<double> Search { get; } =
    [
        0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.035, 0.05, 0.075,
        0.1, 0.25, 0.5, 1, 2.5,
    ];

    /// <summary>
    /// A bulk read (a collection's codes into memory): from milliseconds for a small collection to tens of seconds for
    /// millions of faces.
    /// </summary>
    public static IReadOnlyList<double> BulkRead { get; } = [0.001, 0.005, 0.02, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Advice carrying <paramref name="boundaries"/>, for <c>Meter.CreateHistogram</c>.</summary>
    public static InstrumentAdvice<double> Advice(IReadOnlyList<double> boundaries) =>
        new() { HistogramBucketBoundaries = boundaries };
}
