using FacePlatform.ServiceDefaults.Hosting;
using FacePlatform.Embedding.Grpc;
using FacePlatform.Embedding.Inference;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Inference;

namespace FacePlatform.Embedding.Extensions;

/// <summary>Wiring of the embedding service.</summary>
internal static class Extensions
{
    public static void AddEmbeddingServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddInferenceOptions();
        services.AddOptions<DetectionOptions>().BindConfiguration(DetectionOptions.Section)
            .Validate(o => o.MinFaceSize > 0 && o.MaxFaces > 0 && o.MaxTiles > 0, "Detection: MinFaceSize, MaxFaces and MaxTiles must be positive")
            .ValidateOnStart();
        services.AddBackgroundLoader<EmbeddingModels>();
    }

    public static void MapEmbeddingEndpoints(this WebApplication app) => app.MapGrpcService<EmbeddingGrpcService>();
}
