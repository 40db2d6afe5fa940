using System.ComponentModel.DataAnnotations;

namespace FacePlatform.Gateway.Limits;

/// <summary>
/// Settings of rate limiting (section <c>RateLimit</c>). Three token buckets: one per client address for requests
/// that carry no key the gateway has recently seen succeed (charged before identity is asked, so unknown keys cannot
/// turn into identity look-ups), and, once a key is authenticated, one per key and one per tenant (so making more
/// keys does not multiply a tenant's budget).
/// </summary>
internal sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    /// <summary>Requests an API key may make per second, sustained.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>Requests an API key may make in a burst above the sustained rate.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 100;

    /// <summary>Requests all keys of one tenant may make per second, sustained.</summary>
    [Range(1, 1_000_000)]
    public int TenantRequestsPerSecond { get; set; } = 200;

    /// <summary>Requests all keys of one tenant may make in a burst.</summary>
    [Range(1, 1_000_000)]
    public int TenantBurst { get; set; } = 400;

    /// <summary>
    /// Requests per second from one client address (IPv6: its /64) that carry no key, a malformed key, or a key not
    /// recently authenticated: each may cost an identity look-up, so they are limited before it.
    /// </summary>
    [Range(1, 1_000_000)]
    public int AddressRequestsPerSecond { get; set; } = 20;

    /// <summary>Burst of <see cref="AddressRequestsPerSecond"/>.</summary>
    [Range(1, 1_000_000)]
    public int AddressBurst { get; set; } = 100;

    /// <summary>
    /// Proxies in front of the gateway that append to <c>X-Forwarded-For</c> (1 behind the chart's Ingress): the
    /// client address is read from that header, that many entries from its right. 0 uses the connection's peer.
    /// </summary>
    [Range(0, 10)]
    public int TrustedProxies { get; set; }
}
