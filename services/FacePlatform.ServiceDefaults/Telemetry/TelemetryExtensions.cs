using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FacePlatform.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry wiring shared by every service.</summary>
public static class TelemetryExtensions
{
    /// <summary>Prefix of every <see cref="System.Diagnostics.ActivitySource"/> and
    /// <see cref="System.Diagnostics.Metrics.Meter"/> of the platform.</summary>
    public const string SourcePrefix = "FacePlatform";

    /// <summary>
    /// Traces, metrics and logs. Metrics are always scraped from <c>/metrics</c>; all three go to an OTLP collector
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    public static TBuilder AddPlatformTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(SourcePrefix + ".*")
                // ASP.NET Core's and HttpClient's own advice (5 ms, 10 ms, 25 ms, 50 ms, 75 ms, 100 ms …) leaves the
                // 1–20 ms internal calls in three buckets; the platform's call boundaries resolve them.
                .AddView("http.server.request.duration", CallBuckets())
                .AddView("http.client.request.duration", CallBuckets())
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(SourcePrefix + ".*")
                .AddAspNetCoreInstrumentation(options =>
                    // Probes and scrapes are not requests anyone wants to trace.
                    options.Filter = context => !IsInfrastructurePath(context.Request.Path.Value))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        return builder;
    }

    private static ExplicitBucketHistogramConfiguration CallBuckets() =>
        new() { Boundaries = [.. DurationBuckets.Call] };

    private static bool IsInfrastructurePath(string? path) =>
        path is "/healthz" or "/readyz" or "/metrics" || (path?.StartsWith("/grpc.health.v1.", StringComparison.Ordinal) ?? false);
}
