using System.Diagnostics.Metrics;
using FacePlatform.Identity.Telemetry;
using FacePlatform.ServiceDefaults.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace FacePlatform.Identity.Tests;

/// <summary>Identity's duration histograms are created with the platform's boundaries, not OpenTelemetry's default.</summary>
public sealed class IdentityTelemetryTests
{
    [Fact]
    public void Duration_histograms_carry_the_platform_bucket_advice()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var histograms = new Dictionary<string, Histogram<double>>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == IdentityTelemetry.MeterName && instrument is Histogram<double> histogram)
                {
                    histograms[instrument.Name] = histogram;
                }
            },
        };
        listener.Start();

        _ = new IdentityTelemetry(services.GetRequiredService<IMeterFactory>());

        Assert.Equal(DurationBuckets.Search, histograms["faceplatform.search.duration"].Advice?.HistogramBucketBoundaries);
        Assert.Equal(DurationBuckets.BulkRead, histograms["faceplatform.codes.read.duration"].Advice?.HistogramBucketBoundaries);
        Assert.Equal(2, histograms.Count);
    }
}
