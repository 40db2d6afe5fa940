using FacePlatform.ServiceDefaults.Errors;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.Identity.Validation;

/// <summary>
/// Refuses, before any handler runs, a request with a string that cannot be stored as text (<see cref="RequestText"/>):
/// INVALID_ARGUMENT with a field violation, instead of PostgreSQL's error surfacing as INTERNAL. It also keeps every
/// error message short: a message that quotes a 100 kB id would exceed the caller's 64 KB header limit (the trailers
/// carry it), which the gateway saw as UNAVAILABLE.
/// </summary>
internal sealed class RequestValidationInterceptor : Interceptor
{
    /// <summary>Characters of an error message; a quoted value is cut to fit.</summary>
    public const int MaxMessageLength = 1000;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (request is IMessage message && RequestText.FindInvalid(message) is { } invalid)
        {
            throw RpcErrors.InvalidArgument(invalid.Field, $"{invalid.Field} {invalid.Problem}");
        }

        try
        {
            return await continuation(request, context);
        }
        catch (RpcException exception) when (exception.Status.Detail.Length > MaxMessageLength)
        {
            throw new RpcException(new Status(exception.StatusCode, exception.Status.Detail[..MaxMessageLength] + "…"), exception.Trailers);
        }
    }
}
