using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace FacePlatform.ServiceDefaults.Errors;

/// <summary>
/// The one mapping between gRPC status codes and HTTP status codes (STYLE.md, principle 4). The gateway uses it to turn
/// a service's <see cref="RpcException"/> into RFC 9457 problem details, and the gRPC front door uses the reverse.
/// </summary>
public static class StatusMapping
{
    /// <summary>The HTTP status that means what <paramref name="code"/> means.</summary>
    public static int ToHttpStatus(StatusCode code) => code switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
        StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists => StatusCodes.Status409Conflict,
        StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.FailedPrecondition => StatusCodes.Status422UnprocessableEntity,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Cancelled => StatusCodes.Status499ClientClosedRequest,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>
    /// The HTTP status of a failed call: as <see cref="ToHttpStatus(StatusCode)"/>, except that an exceeded quota
    /// (FAILED_PRECONDITION with a QuotaFailure, <see cref="RpcErrors.QuotaExceeded"/>) is 403: refused until a person
    /// acts, where 429 would invite a retry.
    /// </summary>
    public static int ToHttpStatus(RpcException exception) =>
        RpcErrors.IsQuotaFailure(exception) ? StatusCodes.Status403Forbidden : ToHttpStatus(exception.StatusCode);

    /// <summary>The title of a failed call's problem details.</summary>
    public static string Title(RpcException exception) =>
        RpcErrors.IsQuotaFailure(exception) ? "Quota exceeded" : Title(exception.StatusCode);

    /// <summary>The gRPC status that means what HTTP <paramref name="httpStatus"/> means.</summary>
    public static StatusCode ToGrpcStatus(int httpStatus) => httpStatus switch
    {
        >= 200 and < 300 => StatusCode.OK,
        StatusCodes.Status400BadRequest => StatusCode.InvalidArgument,
        StatusCodes.Status401Unauthorized => StatusCode.Unauthenticated,
        StatusCodes.Status403Forbidden => StatusCode.PermissionDenied,
        StatusCodes.Status404NotFound => StatusCode.NotFound,
        StatusCodes.Status409Conflict => StatusCode.AlreadyExists,
        StatusCodes.Status413PayloadTooLarge => StatusCode.InvalidArgument,
        StatusCodes.Status415UnsupportedMediaType => StatusCode.InvalidArgument,
        StatusCodes.Status422UnprocessableEntity => StatusCode.FailedPrecondition,
        StatusCodes.Status429TooManyRequests => StatusCode.ResourceExhausted,
        StatusCodes.Status501NotImplemented => StatusCode.Unimplemented,
        StatusCodes.Status503ServiceUnavailable => StatusCode.Unavailable,
        StatusCodes.Status504GatewayTimeout => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };

    /// <summary>A short title for problem details, per gRPC status.</summary>
    public static string Title(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => "Invalid argument",
        StatusCode.Unauthenticated => "Missing or unknown API key",
        StatusCode.PermissionDenied => "Permission denied",
        StatusCode.NotFound => "Not found",
        StatusCode.AlreadyExists => "Already exists",
        StatusCode.FailedPrecondition => "Failed precondition",
        StatusCode.ResourceExhausted => "Too many requests",
        StatusCode.Unimplemented => "Not implemented yet",
        StatusCode.Unavailable => "Service unavailable",
        StatusCode.DeadlineExceeded => "Deadline exceeded",
        _ => "Internal error",
    };
}
