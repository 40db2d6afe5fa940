using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.Gateway.Clients;

/// <summary>
/// Gives every outgoing call a deadline when it has none (REST requests carry none), so a hung service turns into
/// DEADLINE_EXCEEDED — a 504 problem — instead of a request that never ends.
/// </summary>
internal sealed class DefaultDeadlineInterceptor(TimeSpan timeout) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (context.Options.Deadline is null)
        {
            context = new ClientInterceptorContext<TRequest, TResponse>(
                context.Method, context.Host, context.Options.WithDeadline(DateTime.UtcNow + timeout));
        }

        return continuation(request, context);
    }
}
