using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace FacePlatform.ServiceDefaults.Caching;

/// <summary>
/// Redis as the platform uses it: a cache, never the source of truth. The connection is made lazily and retried in
/// the background (<c>AbortOnConnectFail = false</c>), so a service starts and answers while Redis is down; the
/// <c>redis</c> health check then reports Degraded — slower, not wrong.
/// </summary>
public static class RedisExtensions
{
    /// <summary>Registers <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:Redis</c> and its health check.</summary>
    public static TBuilder AddPlatformRedis<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var options = ConfigurationOptions.Parse(builder.Configuration.GetConnectionString("Redis") ?? "127.0.0.1:56379");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
        // A cache read that takes longer than this is slower than asking the source of truth.
        options.SyncTimeout = Math.Min(options.SyncTimeout, 500);
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 500);
        // While Redis is down a command fails at once instead of queueing for the reconnect: callers bypass the cache.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        // Every Redis command becomes a client span under the request that issued it (command name only: keys name
        // tenants and collections). The instrumentation takes the multiplexer above when the tracer provider is built,
        // so the connection is opened at start; with Redis down that waits out ConnectTimeout (2 s) once.
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddRedisInstrumentation());
        builder.Services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }
}

/// <summary>Healthy when Redis answers PING; Degraded (still ready) when it does not.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"ping {latency.TotalMilliseconds:F1} ms");
        }
        catch (RedisException exception)
        {
            return HealthCheckResult.Degraded("Redis is unreachable; answers come from the source of truth", exception);
        }
    }
}
