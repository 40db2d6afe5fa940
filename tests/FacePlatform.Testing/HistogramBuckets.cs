using Xunit;

namespace FacePlatform.Testing;

/// <summary>Checks of a duration histogram's bucket advice against what was measured.</summary>
public static class HistogramBuckets
{
    /// <summary>
    /// OpenTelemetry .NET's boundaries for a histogram without advice (meant for milliseconds): every platform duration,
    /// in seconds, would fall into the first one or two.
    /// </summary>
    public static IReadOnlyList<double> OpenTelemetryDefault { get; } =
        [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    /// <summary>
    /// Fails unless <paramref name="boundaries"/> are given, strictly ascending, not OpenTelemetry's default, and
    /// put at least <paramref name="atLeast"/> boundaries between <paramref name="from"/> and <paramref name="to"/>
    /// seconds (the measured range, so its p50 and p99 fall into different, narrow buckets).
    /// </summary>
    public static void AssertResolves(IReadOnlyList<double>? boundaries, double from, double to, int atLeast)
    {
        Assert.NotNull(boundaries);
        Assert.NotEqual(OpenTelemetryDefault, boundaries);
        for (var i = 1; i < boundaries.Count; i++)
        {
            Assert.True(boundaries[i] > boundaries[i - 1], $"boundaries not ascending at {i}: {string.Join(", ", boundaries)}");
        }

        var inside = boundaries.Count(b => b >= from && b <= to);
        Assert.True(inside >= atLeast,
            $"{inside} boundaries between {from} s and {to} s (want {atLeast}): {string.Join(", ", boundaries)}");
    }
}
