using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Limits;

/// <summary>
/// The budget of each client address for requests without a recently valid key (<see cref="RateLimitOptions"/>).
/// The authentication handler charges it before it asks identity about a key, so a client that tries random keys
/// gets 429 after the budget and costs identity at most the budget in look-ups.
/// </summary>
internal sealed class AddressLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(partition =>
        RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Value.AddressBurst,
            TokensPerPeriod = options.Value.AddressRequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Takes one request from the address's budget; when it is spent, says how long until it refills.</summary>
    public bool TryAcquire(HttpContext context, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(ClientAddress.PartitionOf(ClientAddress.Of(context, options.Value.TrustedProxies)));
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
