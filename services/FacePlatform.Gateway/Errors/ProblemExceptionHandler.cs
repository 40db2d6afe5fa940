using FacePlatform.ServiceDefaults.Errors;
using Grpc.Core;
using Microsoft.AspNetCore.Diagnostics;

namespace FacePlatform.Gateway.Errors;

/// <summary>
/// Every failure of a REST call becomes RFC 9457 problem details: malformed requests are 400, statuses of the internal
/// services map through <see cref="StatusMapping"/>, anything else is a 500 without internals.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OutOfMemoryException)
        {
            // The heap hard limit refused an allocation (MemoryBoundsTests saw it under 16 hostile clients: a large
            // JSON photo's buffers while gRPC messages held the heap). Logged, and answered as the busy refusal it is.
            LogMemoryFull(logger, context.Request.Path, exception);
            exception = ApiProblemException.MemoryFull();
        }

        var (status, title, detail) = exception switch
        {
            ApiProblemException problem => (problem.HttpStatus, problem.Title, problem.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } bad => (bad.StatusCode, "Request too large", bad.Message),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            // A multipart body whose framing is broken (no boundary, a bad Content-Disposition): the form reader's word for it.
            InvalidDataException bad => (StatusCodes.Status400BadRequest, "Bad request", "the request body is malformed: " + bad.Message),
            // System.Text.Json reads "\ud800" but refuses to make a string of a lone surrogate, and says so this way.
            InvalidOperationException bad when bad.TargetSite?.Module.Assembly == typeof(System.Text.Json.JsonDocument).Assembly
                && bad.Message.Contains("UTF-16", StringComparison.Ordinal) =>
                (StatusCodes.Status400BadRequest, "Bad request", "the JSON body holds a string that is not valid Unicode: " + bad.Message),
            RpcException rpc => (StatusMapping.ToHttpStatus(rpc), StatusMapping.Title(rpc), Describe(rpc)),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested =>
                (StatusCodes.Status499ClientClosedRequest, "Client closed request", "the request was cancelled"),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "an unexpected error occurred; it has been logged"),
        };
        if (status >= 500)
        {
            LogFailure(logger, context.Request.Path, exception);
        }

        // Before the answer, so that a client still sending a refused body reads it instead of a reset.
        await RefusedBody.DrainAsync(context, cancellationToken);
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status429TooManyRequests && !context.Response.Headers.ContainsKey("Retry-After"))
        {
            // A busy service (decode budget, inference queue): the load passes within seconds.
            context.Response.Headers.RetryAfter = "1";
        }
        else if (status == StatusCodes.Status503ServiceUnavailable && !context.Response.Headers.ContainsKey("Retry-After"))
        {
            // An internal service is down or restarting (the gateway itself stays ready); a restart takes seconds.
            context.Response.Headers.RetryAfter = "5";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    private static string Describe(RpcException rpc) => rpc.StatusCode switch
    {
        StatusCode.Unavailable => "a required service is unavailable; retry later",
        StatusCode.DeadlineExceeded => "a required service did not answer in time",
        StatusCode.Internal or StatusCode.Unknown => "an internal service failed; it has been logged",
        _ => rpc.Status.Detail,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {Path} found the GC heap full; answered 429")]
    private static partial void LogMemoryFull(ILogger logger, PathString path, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Path} failed")]
    private static partial void LogFailure(ILogger logger, PathString path, Exception exception);
}
