using System.Globalization;
using FacePlatform.Gateway.Errors;
using Grpc.Core;

namespace FacePlatform.Gateway.Limits;

/// <summary>
/// The one way the gateway says "over a rate limit": REST gets 429 with <c>Retry-After</c> and problem details; gRPC
/// gets RESOURCE_EXHAUSTED (a trailers-only answer, since a bare HTTP 429 reads as UNAVAILABLE to gRPC clients) with
/// the wait in the message and in a <c>retry-after</c> header.
/// </summary>
internal static class TooManyRequests
{
    public static async Task WriteAsync(HttpContext http, TimeSpan retryAfter, string what)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var detail = $"{what}; retry after {seconds} s";
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (GrpcTrailersOnly.IsGrpc(http.Request))
        {
            GrpcTrailersOnly.Write(http, StatusCode.ResourceExhausted, detail);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = detail,
                Extensions = { ["retryAfterSeconds"] = seconds },
            },
        });
    }
}
