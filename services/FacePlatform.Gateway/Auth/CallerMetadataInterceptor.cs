using System.Security.Claims;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.ServiceDefaults.Audit;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FacePlatform.Gateway.Auth;

/// <summary>
/// Adds who is calling — the authenticated API key, its tenant, and the client's address — to every call of the
/// identity service, for its audit log (<see cref="CallerMetadata"/>). Taken from the authenticated principal and the
/// connection, never from the client's own headers.
/// </summary>
internal sealed class CallerMetadataInterceptor(IHttpContextAccessor accessor) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (accessor.HttpContext is { } http && http.User.FindFirstValue(Caller.TenantClaim) is { } tenant)
        {
            var headers = new Metadata();
            foreach (var entry in context.Options.Headers ?? [])
            {
                headers.Add(entry);
            }

            headers.Add(CallerMetadata.TenantId, tenant);
            headers.Add(CallerMetadata.KeyId, http.User.FindFirstValue(Caller.KeyClaim) ?? string.Empty);
            if (http.Connection.RemoteIpAddress is { } address)
            {
                headers.Add(CallerMetadata.ClientAddress, (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString());
            }

            context = new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
        }

        return continuation(request, context);
    }
}

/// <summary>Wiring of the caller metadata and tenant changes.</summary>
internal static class CallerMetadataExtensions
{
    /// <summary>Registers <see cref="CallerMetadataInterceptor"/> on the identity client and <see cref="TenantChanges"/>.</summary>
    public static void AddCallerMetadata(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<CallerMetadataInterceptor>();
        builder.Services.AddSingleton<TenantChanges>();
        // The same named client that ServiceClients registers (address, retries, deadlines); this adds one interceptor.
        builder.Services.AddGrpcClient<IdentityService.IdentityServiceClient>(_ => { })
            .AddInterceptor<CallerMetadataInterceptor>();
    }
}
