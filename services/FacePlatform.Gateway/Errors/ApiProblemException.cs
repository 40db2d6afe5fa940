using Grpc.Core;

namespace FacePlatform.Gateway.Errors;

/// <summary>
/// A refusal of the gateway itself whose HTTP status has no gRPC twin (413, 415) or needs its own title. REST answers
/// it as problem details with <see cref="HttpStatus"/>; gRPC answers <see cref="GrpcStatus"/> with the same detail.
/// </summary>
internal sealed class ApiProblemException(int httpStatus, StatusCode grpcStatus, string title, string detail)
    : Exception(detail)
{
    public int HttpStatus { get; } = httpStatus;

    public StatusCode GrpcStatus { get; } = grpcStatus;

    public string Title { get; } = title;

    public RpcException ToRpcException() => new(new Status(GrpcStatus, Message));

    public static ApiProblemException TooLarge(string detail) =>
        new(StatusCodes.Status413PayloadTooLarge, StatusCode.InvalidArgument, "Image too large", detail);

    public static ApiProblemException Unsupported(string detail) =>
        new(StatusCodes.Status415UnsupportedMediaType, StatusCode.InvalidArgument, "Unsupported image", detail);

    public static ApiProblemException BadRequest(string detail) =>
        new(StatusCodes.Status400BadRequest, StatusCode.InvalidArgument, "Invalid argument", detail);

    /// <summary>
    /// A vector of another model (or dimension) than the one it is compared with: 400 for REST, since the caller sent
    /// it; FAILED_PRECONDITION for gRPC, as the protos document for a model mismatch.
    /// </summary>
    public static ApiProblemException ModelMismatch(string detail) =>
        new(StatusCodes.Status400BadRequest, StatusCode.FailedPrecondition, "Model mismatch", detail);

    public static ApiProblemException Unprocessable(string detail) =>
        new(StatusCodes.Status422UnprocessableEntity, StatusCode.FailedPrecondition, "Unprocessable photo", detail);

    /// <summary>
    /// The gateway's GC heap (as large as the runtime or an operator's DOTNET_GCHeapHardLimit allows) had no room for
    /// this request's photo now: the heap is shared with the photos already admitted, so this passes as they finish.
    /// 429 / RESOURCE_EXHAUSTED like an exhausted photo budget, so that clients retry instead of treating it as a
    /// server fault.
    /// </summary>
    public static ApiProblemException MemoryFull() =>
        new(StatusCodes.Status429TooManyRequests, StatusCode.ResourceExhausted, "Too busy",
            "the gateway has no memory free for this request now (other photos hold it); retry shortly");
}
