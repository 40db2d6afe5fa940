using FacePlatform.ServiceDefaults.Errors;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.Identity.Validation;

/// <summary>
/// Refuses, before any handler runs, a request with a string that cannot be stored as text (<see cref="RequestText"/>):
/// INVALID_ARGUMENT with a field violation, instead of PostgreSQL's error surfacing as INTERNAL. (Messages that quote a
/// long value are cut by ServiceDefaults' <c>StatusDetailLimitInterceptor</c>, as in every service.)
/// </summary>
internal sealed class RequestValidationInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (request is IMessage message && RequestText.FindInvalid(message) is { } invalid)
        {
            throw RpcErrors.InvalidArgument(invalid.Field, $"{invalid.Field} {invalid.Problem}");
        }

        return await continuation(request, context);
    }
}
