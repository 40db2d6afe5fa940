using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace FacePlatform.ServiceDefaults.Security;

/// <summary>
/// Refuses every gRPC call of an internal service (its own services, health and reflection alike) whose caller
/// <see cref="CallerAuthorization"/> does not accept. Kestrel already refuses TLS handshakes without a certificate of
/// the CA; checking again here covers every way a request can arrive (another endpoint, the in-process test server)
/// and names the caller in the refusal.
/// </summary>
/// <param name="authorization">The rule.</param>
/// <param name="logger">Where refusals are logged.</param>
internal sealed partial class InternalCallerInterceptor(CallerAuthorization authorization, ILogger<InternalCallerInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authorize(ServerCallContext context)
    {
        var connection = context.GetHttpContext().Connection;
        var decision = authorization.Decide(connection.ClientCertificate);
        if (!decision.IsAllowed)
        {
            LogRefused(logger, context.Method, decision.Caller, connection.RemoteIpAddress?.ToString() ?? "?", decision.Refusal, decision.Message);
            throw new RpcException(new Status(decision.Refusal, decision.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} from '{Caller}' at {Address}: {Status} {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string caller, string address, StatusCode status, string reason);
}
