using FacePlatform.Attributes.Grpc;

namespace FacePlatform.Attributes.Extensions;

/// <summary>Wiring of the attributes service.</summary>
internal static class Extensions
{
    public static void AddAttributesServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
    }

    public static void MapAttributesEndpoints(this WebApplication app) => app.MapGrpcService<AttributesGrpcService>();
}
