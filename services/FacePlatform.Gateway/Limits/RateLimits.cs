using System.Threading.RateLimiting;
using FacePlatform.Gateway.Auth;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Limits;

/// <summary>
/// Rate limits after authentication: one token bucket per API key and one per tenant, both charged (partitioned by
/// the key and tenant ids of the authenticated caller, not by the raw header). Requests without an authenticated
/// caller are limited per client address here, and before authentication by <see cref="AddressLimiter"/>.
/// </summary>
internal static class RateLimits
{
    public static void AddRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AddressLimiter>();
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    Bucket(context, Partitions.KeyOrAddress(context), o => (o.RequestsPerSecond, o.Burst))),
                PartitionedRateLimiter.Create<HttpContext, string>(context => Partitions.Tenant(context) is { } tenant
                    ? Bucket(context, tenant, o => (o.TenantRequestsPerSecond, o.TenantBurst))
                    : RateLimitPartition.GetNoLimiter(string.Empty)));
            options.OnRejected = (context, _) =>
            {
                var rate = context.HttpContext.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                var what = Partitions.Tenant(context.HttpContext) is null
                    ? $"this client is over its rate limit of {rate.RequestsPerSecond} requests per second"
                    : $"over the rate limit of this API key ({rate.RequestsPerSecond} requests per second, burst {rate.Burst}) " +
                      $"or of its tenant ({rate.TenantRequestsPerSecond} per second, burst {rate.TenantBurst})";
                return new ValueTask(TooManyRequests.WriteAsync(context.HttpContext, retryAfter, what));
            };
        });
    }

    private static RateLimitPartition<string> Bucket(HttpContext context, string partition, Func<RateLimitOptions, (int Rate, int Burst)> pick)
    {
        var (rate, burst) = pick(context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value);
        return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = rate,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}

/// <summary>The partitions of the post-authentication limiter, read from the authenticated caller's claims.</summary>
internal static class Partitions
{
    /// <summary>"key:&lt;key id&gt;" for an authenticated caller, else "ip:&lt;address partition&gt;".</summary>
    public static string KeyOrAddress(HttpContext context) =>
        context.User.FindFirst(Caller.KeyClaim)?.Value is { Length: > 0 } key
            ? "key:" + key
            : "ip:" + ClientAddress.PartitionOf(ClientAddress.Of(context,
                context.RequestServices?.GetService<IOptions<RateLimitOptions>>()?.Value.TrustedProxies ?? 0));

    /// <summary>"tenant:&lt;tenant id&gt;" for an authenticated caller, else null (no tenant budget to charge).</summary>
    public static string? Tenant(HttpContext context) =>
        context.User.FindFirst(Caller.TenantClaim)?.Value is { Length: > 0 } tenant ? "tenant:" + tenant : null;
}
