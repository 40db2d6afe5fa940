using System.Net;

namespace FacePlatform.Client;

/// <summary>
/// A REST call the platform refused or could not answer: the status and the RFC 9457 problem details it sent
/// (<c>title</c>, <c>detail</c>), and <c>Retry-After</c> when it named one (429, 503).
/// </summary>
public sealed class FacePlatformApiException : Exception
{
    /// <summary>A refusal with its status and problem details.</summary>
    public FacePlatformApiException(HttpStatusCode status, string title, string? detail, TimeSpan? retryAfter = null)
        : base(detail is { Length: > 0 } ? $"{(int)status} {title}: {detail}" : $"{(int)status} {title}")
    {
        Status = status;
        Title = title;
        Detail = detail;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The problem's title (e.g. "No face found").</summary>
    public string Title { get; }

    /// <summary>The problem's detail, when the platform gave one.</summary>
    public string? Detail { get; }

    /// <summary>How long to wait before trying again, when the platform said so.</summary>
    public TimeSpan? RetryAfter { get; }
}
