using Google.Rpc;
using Grpc.Core;

namespace FacePlatform.ServiceDefaults.Errors;

/// <summary>
/// Rich gRPC errors (<c>google.rpc.Status</c> with details, in the <c>grpc-status-details-bin</c> trailer): which field
/// was invalid and why, which quota a write would exceed. The message stays readable without the details.
/// </summary>
public static class RpcErrors
{
    /// <summary>INVALID_ARGUMENT with a <see cref="BadRequest"/> field violation naming <paramref name="field"/>.</summary>
    public static RpcException InvalidArgument(string field, string description) => new Google.Rpc.Status
    {
        Code = (int)Code.InvalidArgument,
        Message = description,
        Details =
        {
            Google.Protobuf.WellKnownTypes.Any.Pack(new BadRequest
            {
                FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } },
            }),
        },
    }.ToRpcException();

    /// <summary>
    /// FAILED_PRECONDITION with a <see cref="QuotaFailure"/>: a quota is not a reason to retry later (RESOURCE_EXHAUSTED
    /// would say so, and maps to 429) but a state a person must change, by deleting data or raising the quota.
    /// </summary>
    public static RpcException QuotaExceeded(string subject, string description) => new Google.Rpc.Status
    {
        Code = (int)Code.FailedPrecondition,
        Message = description,
        Details =
        {
            Google.Protobuf.WellKnownTypes.Any.Pack(new QuotaFailure
            {
                Violations = { new QuotaFailure.Types.Violation { Subject = subject, Description = description } },
            }),
        },
    }.ToRpcException();

    /// <summary>Whether <paramref name="exception"/> reports an exceeded quota (<see cref="QuotaExceeded"/>).</summary>
    public static bool IsQuotaFailure(RpcException exception) =>
        exception.StatusCode == StatusCode.FailedPrecondition && exception.GetRpcStatus()?.GetDetail<QuotaFailure>() is not null;

    /// <summary>The field violations of an INVALID_ARGUMENT, if it carries any.</summary>
    public static IReadOnlyList<BadRequest.Types.FieldViolation> FieldViolations(RpcException exception) =>
        exception.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.ToList() ?? [];
}
