using System.Net;
using System.Net.Sockets;

namespace FacePlatform.Gateway.Limits;

/// <summary>The rate-limit partition of a client address.</summary>
internal static class ClientAddress
{
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
