using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace FacePlatform.Identity.Storage;

/// <summary>Redis is a cache: when it is down the service is degraded (slower), not unready.</summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"ping {latency.TotalMilliseconds:F1} ms");
        }
        catch (RedisException exception)
        {
            return HealthCheckResult.Degraded("Redis is unreachable; answers come from PostgreSQL", exception);
        }
    }
}
