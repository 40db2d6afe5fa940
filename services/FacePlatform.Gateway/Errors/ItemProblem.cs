using FacePlatform.ServiceDefaults.Errors;
using Grpc.Core;

namespace FacePlatform.Gateway.Errors;

/// <summary>
/// Why one item of a batch failed, in both vocabularies (the same mapping as whole calls: <see cref="StatusMapping"/>
/// and <see cref="ApiProblemException"/>).
/// </summary>
internal sealed record ItemProblem(int HttpStatus, StatusCode GrpcStatus, string Title, string Detail)
{
    /// <summary>
    /// The problem of one item, or null when the failure is the platform's and not the item's (a service unavailable,
    /// a deadline, the call cancelled): then the whole batch fails, as one call would.
    /// </summary>
    public static ItemProblem? Of(Exception exception) => exception switch
    {
        ApiProblemException problem => new(problem.HttpStatus, problem.GrpcStatus, problem.Title, problem.Message),
        RpcException rpc when rpc.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled) =>
            new(StatusMapping.ToHttpStatus(rpc), rpc.StatusCode, StatusMapping.Title(rpc), rpc.Status.Detail),
        _ => null,
    };
}
