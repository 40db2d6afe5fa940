using FacePlatform.Embedding.Grpc;

namespace FacePlatform.Embedding.Extensions;

/// <summary>Wiring of the embedding service.</summary>
internal static class Extensions
{
    public static void AddEmbeddingServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
    }

    public static void MapEmbeddingEndpoints(this WebApplication app) => app.MapGrpcService<EmbeddingGrpcService>();
}
