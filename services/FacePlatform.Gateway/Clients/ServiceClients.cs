using FacePlatform.Contracts.Internal.V1;
using FacePlatform.ServiceDefaults.Security;
using FacePlatform.ServiceDefaults.Telemetry;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client.Configuration;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FacePlatform.Gateway.Clients;

/// <summary>
/// Typed gRPC clients of the internal services, each registered with a health check on its service (reported under
/// <c>dependencies</c> in <c>/readyz</c>, not part of the gateway's readiness). Deadlines and
/// cancellation flow from the incoming call (<c>EnableCallContextPropagation</c>); retries happen only on UNAVAILABLE.
/// </summary>
internal static class ServiceClients
{
    public static void AddServiceClients(this IHostApplicationBuilder builder)
    {
        // Every call to an internal service, health checks included, goes over mutual TLS with the gateway's
        // certificate; the services refuse callers without it (README, trust model).
        builder.AddInternalTls();
        AddClient<IdentityService.IdentityServiceClient>(builder, "Identity", HealthStatus.Unhealthy);
        // The only internal service the gateway sends photos to: photo-sized requests are streamed from the message.
        AddClient<EmbeddingService.EmbeddingServiceClient>(builder, "Embedding", HealthStatus.Unhealthy, streamLargeRequests: true);
        // Attributes are optional: analyse answers without them (with a warning) when the service is down.
        AddClient<AttributesService.AttributesServiceClient>(builder, "Attributes", HealthStatus.Degraded);
    }

    private static void AddClient<TClient>(IHostApplicationBuilder builder, string name, HealthStatus failureStatus, bool streamLargeRequests = false)
        where TClient : ClientBase<TClient>
    {
        var address = new Uri(builder.Configuration[$"Services:{name}:Url"]
            ?? throw new InvalidOperationException($"Services:{name}:Url is not set"));
        // dns:///service.namespace.svc:port resolves every pod of a headless Service and balances calls over them on
        // the client, as HTTP/2 connections would otherwise pin all calls to one pod (grpc-dotnet's Kubernetes advice).
        var clientSideBalancing = address.Scheme == "dns";
        if (address.Scheme == Uri.UriSchemeHttp)
        {
            throw new InvalidOperationException(
                $"Services:{name}:Url is {address}: internal services are called only over mutual TLS (https:// or dns:///)");
        }

        var client = builder.Services.AddGrpcClient<TClient>(options =>
            {
                options.Address = address;
                options.ChannelOptionsActions.Add(channel =>
                {
                    channel.ServiceConfig = RetryOnUnavailable(clientSideBalancing);
                    if (clientSideBalancing)
                    {
                        channel.Credentials = ChannelCredentials.SecureSsl;
                    }
                });
            })
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<InternalCertificates>().CreateClientHandler())
            // The handler renews its own connections (PooledConnectionLifetime, for certificate renewals); the factory's
            // default 2-minute handler lifetime would add a new connection, so a mutual-TLS handshake on some call, every 2 minutes.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .EnableCallContextPropagation(options => options.SuppressContextNotFoundErrors = true)
            // First, so it times the whole call (retries included) and sees the status the gateway acts on.
            .AddInterceptor(sp => new RpcClientMetricsInterceptor(sp.GetRequiredService<RpcMetrics>()))
            .AddInterceptor(sp => new DefaultDeadlineInterceptor(
                TimeSpan.FromSeconds(sp.GetRequiredService<IConfiguration>().GetValue("Services:DeadlineSeconds", 30))));
        if (streamLargeRequests)
        {
            // Last, so that it is nearest the channel: the request it marks is the one the channel sends.
            client.AddInterceptor(() => new LargeRequestStreaming.Interceptor())
                .AddHttpMessageHandler(() => new LargeRequestStreaming.Handler());
        }

        builder.Services.AddGrpcClient<Health.HealthClient>(name, options =>
        {
            options.Address = address;
            if (clientSideBalancing)
            {
                options.ChannelOptionsActions.Add(channel => channel.Credentials = ChannelCredentials.SecureSsl);
            }
        }).ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<InternalCertificates>().CreateClientHandler())
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name.ToLowerInvariant(),
            sp => new GrpcServiceHealthCheck(sp.GetRequiredService<GrpcClientFactory>()
                .CreateClient<Health.HealthClient>(name)),
            failureStatus,
            // Reported, not part of the gateway's readiness: a call needing a service that is down gets 503 (gRPC
            // UNAVAILABLE) while the rest of the API and the web page keep working (ServiceDefaults' DependencyHealth).
            [ServiceDefaultsExtensions.DependencyTag]));
    }

    private static ServiceConfig RetryOnUnavailable(bool roundRobin)
    {
        var config = new ServiceConfig
        {
            MethodConfigs =
            {
                new MethodConfig
                {
                    Names = { MethodName.Default },
                    RetryPolicy = new RetryPolicy
                    {
                        MaxAttempts = 3,
                        InitialBackoff = TimeSpan.FromMilliseconds(100),
                        MaxBackoff = TimeSpan.FromSeconds(1),
                        BackoffMultiplier = 2,
                        RetryableStatusCodes = { StatusCode.Unavailable },
                    },
                },
            },
        };
        if (roundRobin)
        {
            config.LoadBalancingConfigs.Add(new RoundRobinConfig());
        }

        return config;
    }
}

/// <summary>Ready when the service's grpc.health.v1 answers SERVING within two seconds.</summary>
internal sealed class GrpcServiceHealthCheck(Health.HealthClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var answer = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2),
                cancellationToken: cancellationToken);
            return answer.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"status {answer.Status}");
        }
        catch (RpcException exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                $"grpc.health.v1 Check failed: {exception.StatusCode} {exception.Status.Detail}".TrimEnd());
        }
    }
}
