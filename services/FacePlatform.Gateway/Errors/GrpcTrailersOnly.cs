using System.Globalization;
using Grpc.Core;

namespace FacePlatform.Gateway.Errors;

/// <summary>
/// Answers a gRPC call with a status before it reaches gRPC for ASP.NET Core (from middleware): a trailers-only
/// response, HTTP 200 with <c>grpc-status</c> and <c>grpc-message</c> in the headers, because a bare HTTP error status
/// reads as UNAVAILABLE or UNKNOWN to gRPC clients.
/// </summary>
internal static class GrpcTrailersOnly
{
    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;

    public static void Write(HttpContext http, StatusCode status, string detail)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/grpc";
        http.Response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        http.Response.Headers["grpc-message"] = Uri.EscapeDataString(detail);
    }
}
