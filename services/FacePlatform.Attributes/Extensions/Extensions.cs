using FacePlatform.ServiceDefaults.Hosting;
using FacePlatform.Attributes.Grpc;
using FacePlatform.Attributes.Inference;
using FacePlatform.Vision.Inference;

namespace FacePlatform.Attributes.Extensions;

/// <summary>Wiring of the attributes service.</summary>
internal static class Extensions
{
    public static void AddAttributesServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddInferenceOptions();
        services.AddBackgroundLoader<AttributeModels>();
    }

    public static void MapAttributesEndpoints(this WebApplication app) => app.MapGrpcService<AttributesGrpcService>();
}
