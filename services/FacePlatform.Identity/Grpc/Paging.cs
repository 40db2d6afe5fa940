using Grpc.Core;

namespace FacePlatform.Identity.Grpc;

/// <summary>
/// Keyset pagination over version-7 (time-ordered) ids: the page token is the last id of the previous page, so a page
/// costs one index range scan however deep the caller goes.
/// </summary>
internal static class Paging
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public static int Size(Contracts.V1.PageRequest? page) => page?.PageSize switch
    {
        null or 0 => DefaultPageSize,
        < 0 => throw new RpcException(new Status(StatusCode.InvalidArgument, "page_size must not be negative")),
        > MaxPageSize => MaxPageSize,
        var size => size.Value,
    };

    /// <summary>The id after which the page starts, or null for the first page.</summary>
    public static Guid? After(Contracts.V1.PageRequest? page)
    {
        var token = page?.PageToken;
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        return Guid.TryParseExact(token, "N", out var id)
            ? id
            : throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not a token this service issued"));
    }

    /// <summary>The answer's page: a token when <paramref name="fetched"/> had one more item than the page holds.</summary>
    public static Contracts.V1.PageResponse Next<T>(List<T> fetched, int size, Func<T, Guid> id)
    {
        if (fetched.Count <= size)
        {
            return new Contracts.V1.PageResponse();
        }

        fetched.RemoveAt(fetched.Count - 1);
        return new Contracts.V1.PageResponse { NextPageToken = id(fetched[^1]).ToString("N") };
    }
}
