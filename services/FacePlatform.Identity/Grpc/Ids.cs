using Grpc.Core;

namespace FacePlatform.Identity.Grpc;

/// <summary>Parses ids from requests; an id that is not one of ours is simply not found.</summary>
internal static class Ids
{
    public static Guid Tenant(string value) => Guid.TryParse(value, out var id)
        ? id
        : throw new RpcException(new Status(StatusCode.Unauthenticated, "the request carries no valid tenant"));

    public static Guid Parse(string value, string what) => Guid.TryParse(value, out var id)
        ? id
        : throw new RpcException(new Status(StatusCode.NotFound, $"{what} '{value}' was not found"));
}
