using FacePlatform.ServiceDefaults.Errors;
using FacePlatform.ServiceDefaults.Health;
using FacePlatform.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every FacePlatform service shares: OpenTelemetry, health (HTTP and grpc.health.v1), gRPC with reflection,
/// and problem details. One call when building, one when mapping.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Tag of health checks that must pass for the service to take traffic (<c>/readyz</c>).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Tag of health checks of the services this one calls: reported under <c>dependencies</c> in <c>/readyz</c> and
    /// as <c>faceplatform.dependency.up</c>, never part of readiness (see <see cref="DependencyHealth"/>).
    /// </summary>
    public const string DependencyTag = "dependency";

    /// <summary>Largest message the internal gRPC endpoints receive; the gateway checks the public limits before anything is sent on.</summary>
    public const int MaxReceiveMessageBytes = 64 * 1024 * 1024;

    /// <summary>Registers telemetry, health checks, gRPC, gRPC reflection and gRPC health, and problem details.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddPlatformTelemetry();
        builder.Services.AddSingleton<RpcMetrics>();
        builder.Services.AddSingleton<DependencyHealth>();
        builder.Services.AddSingleton<IHealthCheckPublisher>(services => services.GetRequiredService<DependencyHealth>());

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("process is running"), ["live"]);

        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = MaxReceiveMessageBytes;
            options.EnableDetailedErrors = builder.Environment.IsDevelopment();
            // Outermost: it records the status every interceptor and handler below ends a call with.
            options.Interceptors.Add<RpcServerMetricsInterceptor>();
            // Next, so it bounds the message of every status the service's own interceptors and handlers raise.
            options.Interceptors.Add<StatusDetailLimitInterceptor>();
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks(options =>
        {
            // The overall status ("") of grpc.health.v1 is readiness: Kubernetes probes it as it probes /readyz. Checks of
            // dependencies (DependencyTag) are not part of it.
            options.Services.Map(string.Empty, registration => registration.Tags.Contains(ReadyTag) || registration.Tags.Contains("live"));
        });
        builder.Services.AddProblemDetails();
        return builder;
    }

    /// <summary>
    /// Maps <c>/healthz</c> (alive), <c>/readyz</c> (ready to serve: the service's own stores and models; the health of
    /// the services it calls is listed, not counted), <c>/metrics</c> (Prometheus),
    /// grpc.health.v1 and gRPC reflection. They are mapped in every environment: Kubernetes needs them everywhere.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains("live"),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(ReadyTag) || registration.Tags.Contains("live"),
            ResponseWriter = HealthReportWriter.WriteWithDependenciesAsync,
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }
}
