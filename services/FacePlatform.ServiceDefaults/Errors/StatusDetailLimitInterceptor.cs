using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.ServiceDefaults.Errors;

/// <summary>
/// Cuts a status message to <see cref="MaxDetailLength"/> characters. Messages quote what the caller sent (an id, a
/// model name), and the message travels in the grpc-message trailer: a 100,000-character value quoted back overflowed
/// the client's 64 KB header limit, and the caller saw UNAVAILABLE instead of the INVALID_ARGUMENT it was sent (found by
/// the reliability suite's fuzz test). Every service registers it first, so it sees every status its handlers raise.
/// </summary>
public sealed class StatusDetailLimitInterceptor : Interceptor
{
    /// <summary>Characters of a status message; a longer one is cut and ends with an ellipsis.</summary>
    public const int MaxDetailLength = 1000;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException exception) when (exception.Status.Detail.Length > MaxDetailLength)
        {
            throw new RpcException(new Status(exception.StatusCode, exception.Status.Detail[..MaxDetailLength] + "…"), exception.Trailers);
        }
    }
}
