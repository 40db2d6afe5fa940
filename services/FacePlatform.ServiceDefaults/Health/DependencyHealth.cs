using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FacePlatform.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace FacePlatform.ServiceDefaults.Health;

/// <summary>
/// Health of the services this one calls (checks tagged <see cref="ServiceDefaultsExtensions.DependencyTag"/>):
/// reported, never used to pull the pod. A gateway whose identity is down still serves the web page, the docs and
/// every call that does not need identity, and answers the rest with 503 problem details (gRPC: UNAVAILABLE); were its
/// readiness to follow identity's, Kubernetes would take every gateway pod out of the Service at once and the whole
/// API would answer connection errors instead. The latest status of each dependency is the gauge
/// <c>faceplatform.dependency.up</c> (1 healthy, 0 not; tag <c>faceplatform.dependency.name</c>; Prometheus
/// <c>faceplatform_dependency_up</c>), updated by every <c>/readyz</c> probe and by the periodic health-check
/// publisher, and each probe's answer lists them under <c>dependencies</c>.
/// </summary>
public sealed class DependencyHealth : IHealthCheckPublisher
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = TelemetryExtensions.SourcePrefix + ".Health";

    private readonly ConcurrentDictionary<string, HealthStatus> _latest = new(StringComparer.Ordinal);

    /// <summary>Creates the gauge on a meter of <paramref name="meters"/>.</summary>
    public DependencyHealth(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        meters.Create(MeterName).CreateObservableGauge(
            "faceplatform.dependency.up",
            () => _latest.Select(d => new Measurement<int>(
                d.Value == HealthStatus.Healthy ? 1 : 0,
                new KeyValuePair<string, object?>("faceplatform.dependency.name", d.Key))),
            unit: null,
            description: "1 while a service this one calls answers its health check, 0 while it does not, by dependency");
    }

    /// <summary>Whether any health check of this service is a dependency's.</summary>
    public static bool IsDependency(HealthCheckRegistration registration) =>
        registration.Tags.Contains(ServiceDefaultsExtensions.DependencyTag);

    /// <summary>Keeps the status of every dependency entry of <paramref name="report"/>.</summary>
    public void Record(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var (name, entry) in report.Entries)
        {
            if (entry.Tags.Contains(ServiceDefaultsExtensions.DependencyTag))
            {
                _latest[name] = entry.Status;
            }
        }
    }

    /// <inheritdoc />
    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        Record(report);
        return Task.CompletedTask;
    }
}
