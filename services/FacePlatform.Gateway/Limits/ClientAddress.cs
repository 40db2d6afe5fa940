using System.Net;
using System.Net.Sockets;

namespace FacePlatform.Gateway.Limits;

/// <summary>The rate-limit partition of a client address.</summary>
internal static class ClientAddress
{
    /// <summary>
    /// The client's address: the connection's peer, or, behind <paramref name="trustedProxies"/> proxies (the chart's
    /// Ingress is one), the address the outermost trusted proxy saw, read from the right of <c>X-Forwarded-For</c>.
    /// Entries further left were written by the client and could be forged, so they are never used.
    /// </summary>
    public static IPAddress? Of(HttpContext context, int trustedProxies)
    {
        if (trustedProxies <= 0)
        {
            return context.Connection.RemoteIpAddress;
        }

        var hops = context.Request.Headers["X-Forwarded-For"].ToString()
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var index = hops.Length - trustedProxies;
        return index >= 0 && IPAddress.TryParse(hops[index], out var address) ? address : context.Connection.RemoteIpAddress;
    }

    /// <summary>
    /// IPv4 addresses (IPv4-mapped IPv6 included) are their own partition; an IPv6 address is partitioned by its /64,
    /// because one subscriber is commonly given a whole /64 and could otherwise change address per request.
    /// </summary>
    public static string PartitionOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
