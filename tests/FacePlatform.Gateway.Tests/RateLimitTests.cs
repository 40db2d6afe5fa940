using System.Net;
using System.Security.Claims;
using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Limits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Tests;

public sealed class RateLimitTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    public void An_address_is_partitioned_by_itself_or_by_its_IPv6_64(string address, string partition) =>
        Assert.Equal(partition, ClientAddress.PartitionOf(IPAddress.Parse(address)));

    [Fact]
    public void Two_IPv6_networks_are_two_partitions() =>
        Assert.NotEqual(ClientAddress.PartitionOf(IPAddress.Parse("2001:db8:1:2::1")), ClientAddress.PartitionOf(IPAddress.Parse("2001:db8:1:3::1")));

    [Fact]
    public void A_missing_address_has_a_partition_of_its_own() => Assert.Equal("unknown", ClientAddress.PartitionOf(null));

    [Fact]
    public void An_authenticated_request_is_limited_by_its_key_id_and_its_tenant_not_by_the_raw_header()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[ApiKeyAuthenticationHandler.HeaderName] = "fp_secret-that-must-not-be-a-partition";
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(Caller.TenantClaim, "t-1"), new Claim(Caller.KeyClaim, "k-1")], "test"));

        Assert.Equal("key:k-1", Partitions.KeyOrAddress(context));
        Assert.Equal("tenant:t-1", Partitions.Tenant(context));
    }

    [Fact]
    public void Two_keys_of_one_tenant_share_the_tenant_partition()
    {
        static HttpContext With(string key) => new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(Caller.TenantClaim, "t-1"), new Claim(Caller.KeyClaim, key)], "test")),
        };

        Assert.NotEqual(Partitions.KeyOrAddress(With("k-1")), Partitions.KeyOrAddress(With("k-2")));
        Assert.Equal(Partitions.Tenant(With("k-1")), Partitions.Tenant(With("k-2")));
    }

    [Fact]
    public void An_unauthenticated_request_is_limited_by_its_address_and_charges_no_tenant()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[ApiKeyAuthenticationHandler.HeaderName] = "fp_unknown";
        context.Connection.RemoteIpAddress = IPAddress.Parse("198.51.100.4");

        Assert.Equal("ip:198.51.100.4", Partitions.KeyOrAddress(context));
        Assert.Null(Partitions.Tenant(context));
    }

    [Fact]
    public void An_address_gets_its_burst_then_a_refusal_with_a_wait_and_another_address_is_not_affected()
    {
        using var limiter = new AddressLimiter(Options.Create(new RateLimitOptions { AddressBurst = 3, AddressRequestsPerSecond = 1 }));
        var first = new DefaultHttpContext();
        first.Connection.RemoteIpAddress = IPAddress.Parse("198.51.100.4");
        var second = new DefaultHttpContext();
        second.Connection.RemoteIpAddress = IPAddress.Parse("198.51.100.5");

        var granted = Enumerable.Range(0, 3).Count(_ => limiter.TryAcquire(first, out TimeSpan _));
        var refused = !limiter.TryAcquire(first, out var wait);

        Assert.Equal(3, granted);
        Assert.True(refused);
        Assert.True(wait > TimeSpan.Zero);
        Assert.True(limiter.TryAcquire(second, out _));
    }

    [Theory]
    [InlineData("fp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true)]
    [InlineData("fp_e2e-admin-0123456789abcdef0123456789abcdef", true)]
    [InlineData("short", false)]
    [InlineData("fp_has a space in the middle of it", false)]
    [InlineData("fp_has\ta\ttab\tin\tthe\tmiddle", false)]
    [InlineData("fp_non-ascii-éééééééééééééé", false)]
    public void Only_a_key_of_plausible_shape_is_looked_up(string key, bool plausible) =>
        Assert.Equal(plausible, ApiKeyShape.IsPlausible(key));

    [Fact]
    public void An_overlong_key_is_not_looked_up() => Assert.False(ApiKeyShape.IsPlausible("fp_" + new string('k', ApiKeyShape.MaxLength)));
}

public sealed class ClientAddressTests
{
    private static DefaultHttpContext Request(string? forwardedFor)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.9");
        if (forwardedFor is not null)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }

        return context;
    }

    [Fact]
    public void Without_trusted_proxies_the_peer_is_the_client_and_the_header_is_ignored() =>
        Assert.Equal(IPAddress.Parse("10.0.0.9"), ClientAddress.Of(Request("198.51.100.7"), trustedProxies: 0));

    [Fact]
    public void Behind_one_proxy_the_entry_it_appended_is_the_client_and_forged_entries_left_of_it_are_not() =>
        Assert.Equal(IPAddress.Parse("203.0.113.5"), ClientAddress.Of(Request("1.2.3.4, 203.0.113.5"), trustedProxies: 1));

    [Fact]
    public void Behind_two_proxies_the_second_entry_from_the_right_is_the_client() =>
        Assert.Equal(IPAddress.Parse("203.0.113.5"), ClientAddress.Of(Request("1.2.3.4, 203.0.113.5, 10.1.1.1"), trustedProxies: 2));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-an-address")]
    public void A_missing_or_unreadable_header_falls_back_to_the_peer(string? header) =>
        Assert.Equal(IPAddress.Parse("10.0.0.9"), ClientAddress.Of(Request(header), trustedProxies: 1));
}
