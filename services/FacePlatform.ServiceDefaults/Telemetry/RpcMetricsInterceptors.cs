using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.ServiceDefaults.Telemetry;

/// <summary>
/// Records <c>rpc.server.duration</c> for every unary call a service answers (the platform's RPCs are all unary).
/// Registered first by <c>AddServiceDefaults</c>, so it sees the status after every other interceptor.
/// </summary>
public sealed class RpcServerMetricsInterceptor(RpcMetrics metrics) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await continuation(request, context);
            metrics.ServerCall(context.Method, context.Status.StatusCode, Stopwatch.GetElapsedTime(started));
            return response;
        }
        catch (Exception exception)
        {
            metrics.ServerCall(context.Method, RpcMetrics.StatusOf(exception, context.Deadline, DateTime.UtcNow),
                Stopwatch.GetElapsedTime(started));
            throw;
        }
    }
}

/// <summary>Records <c>rpc.client.duration</c> for every unary call made through the client it is added to.</summary>
public sealed class RpcClientMetricsInterceptor(RpcMetrics metrics) : Interceptor
{
    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var started = Stopwatch.GetTimestamp();
        var call = continuation(request, context);
        return new AsyncUnaryCall<TResponse>(
            Completed(call.ResponseAsync, context.Method, context.Options.Deadline ?? DateTime.MaxValue, started),
            call.ResponseHeadersAsync,
            call.GetStatus,
            call.GetTrailers,
            call.Dispose);
    }

    private async Task<TResponse> Completed<TRequest, TResponse>(
        Task<TResponse> response, Method<TRequest, TResponse> method, DateTime deadline, long started)
        where TRequest : class
        where TResponse : class
    {
        try
        {
            var answer = await response.ConfigureAwait(false);
            metrics.ClientCall(method.ServiceName, method.Name, StatusCode.OK, Stopwatch.GetElapsedTime(started));
            return answer;
        }
        catch (Exception exception)
        {
            metrics.ClientCall(method.ServiceName, method.Name, RpcMetrics.StatusOf(exception, deadline, DateTime.UtcNow),
                Stopwatch.GetElapsedTime(started));
            throw;
        }
    }
}
