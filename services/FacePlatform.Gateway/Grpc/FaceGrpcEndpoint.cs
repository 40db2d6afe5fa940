using System.Reflection;
using FacePlatform.Contracts.Face.V1;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Reflection;

namespace FacePlatform.Gateway.Grpc;

/// <summary>
/// Hosts <see cref="FaceGrpcService"/> with request parsing that fails as INVALID_ARGUMENT. gRPC for ASP.NET Core
/// answers a request body that is not a valid message (truncated, a wrong wire type, invalid UTF-8 in a string) with
/// UNKNOWN "Exception was thrown by handler", because the generated marshaller's parse error is no RpcException; the
/// fuzz test sent such bodies to every method. This type carries no binding attribute, so only
/// <see cref="FaceGrpcMethodProvider"/> binds it: the same methods, routes and authorization attributes as the
/// generated binding, with a marshaller that turns a parse error into INVALID_ARGUMENT.
/// </summary>
internal sealed class FaceGrpcEndpoint(FaceGrpcService service)
{
    public FaceGrpcService Service { get; } = service;
}

/// <summary>Binds every method of <c>faceplatform.face.v1.FaceService</c> to <see cref="FaceGrpcEndpoint"/> (see there why).</summary>
internal sealed class FaceGrpcMethodProvider : IServiceMethodProvider<FaceGrpcEndpoint>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FaceGrpcEndpoint> context) =>
        FaceService.BindService(new Binder(context), null!);

    private sealed class Binder(ServiceMethodProviderContext<FaceGrpcEndpoint> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var target = typeof(FaceGrpcService).GetMethod(method.Name, [typeof(TRequest), typeof(ServerCallContext)])
                ?? throw new InvalidOperationException($"{nameof(FaceGrpcService)} has no method {method.Name}");
            var call = target.CreateDelegate<Func<FaceGrpcService, TRequest, ServerCallContext, Task<TResponse>>>();
            // As gRPC's own binding does: the service type's attributes first, the method's last (they win), then POST.
            var metadata = new List<object>();
            metadata.AddRange(typeof(FaceGrpcService).GetCustomAttributes(inherit: true));
            metadata.AddRange(target.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            var strict = new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name,
                Strict(method.RequestMarshaller), method.ResponseMarshaller);
            context.AddUnaryMethod(strict, metadata, (endpoint, request, callContext) => call(endpoint.Service, request, callContext));
        }

        private static Marshaller<T> Strict<T>(Marshaller<T> marshaller) => new(marshaller.ContextualSerializer, deserialization =>
        {
            try
            {
                return marshaller.ContextualDeserializer(deserialization);
            }
            catch (InvalidProtocolBufferException exception)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"the request is not a valid {typeof(T).Name} message: {exception.Message}"));
            }
        });
    }
}

/// <summary>Wiring of the public gRPC service.</summary>
internal static class FaceGrpcEndpoints
{
    public static void AddFaceGrpcService(this IServiceCollection services)
    {
        services.AddScoped<FaceGrpcService>();
        services.AddSingleton<IServiceMethodProvider<FaceGrpcEndpoint>, FaceGrpcMethodProvider>();
        // gRPC reflection finds a service's descriptor through its binding attribute, which FaceGrpcEndpoint lacks on
        // purpose; this registration (the last, so the one resolved) lists it by name beside the others.
        services.AddSingleton(provider => new ReflectionServiceImpl(provider.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(endpoint => endpoint.Metadata.GetMetadata<GrpcMethodMetadata>()?.ServiceType)
            .OfType<Type>()
            .Distinct()
            .Select(DescriptorOf)
            .OfType<Google.Protobuf.Reflection.ServiceDescriptor>()
            .ToList()));
    }

    private static Google.Protobuf.Reflection.ServiceDescriptor? DescriptorOf(Type service) => service == typeof(FaceGrpcEndpoint)
        ? FaceService.Descriptor
        : service.GetCustomAttribute<BindServiceMethodAttribute>(inherit: true)?.BindType
            .GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as Google.Protobuf.Reflection.ServiceDescriptor;

    public static void MapFaceGrpcService(this IEndpointRouteBuilder routes) => routes.MapGrpcService<FaceGrpcEndpoint>().EnableGrpcWeb();
}
