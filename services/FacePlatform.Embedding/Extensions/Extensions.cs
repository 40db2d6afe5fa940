using FacePlatform.Embedding.Grpc;
using FacePlatform.Embedding.Inference;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;

namespace FacePlatform.Embedding.Extensions;

/// <summary>Wiring of the embedding service.</summary>
internal static class Extensions
{
    public static void AddEmbeddingServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ModelsOptions>().BindConfiguration(ModelsOptions.Section);
        services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.Section)
            .Validate(o => o.MaxBatchSize > 0 && o.QueueCapacity > 0 && o.BatchWindowMilliseconds >= 0 && (o.WantsCuda || string.Equals(o.Provider, "cpu", StringComparison.OrdinalIgnoreCase)),
                "Inference: Provider must be cpu or cuda; MaxBatchSize and QueueCapacity positive; BatchWindowMilliseconds not negative")
            .ValidateOnStart();
        services.AddOptions<DetectionOptions>().BindConfiguration(DetectionOptions.Section)
            .Validate(o => o.MinFaceSize > 0 && o.MaxFaces > 0 && o.MaxTiles > 0, "Detection: MinFaceSize, MaxFaces and MaxTiles must be positive")
            .ValidateOnStart();
        services.AddOptions<RecognitionOptions>().BindConfiguration(RecognitionOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DefaultModel), "Recognition:DefaultModel is required")
            .ValidateOnStart();
        services.AddSingleton<InferenceTelemetry>();
        services.AddSingleton<EmbeddingModels>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddingModels>());
        services.AddHealthChecks().AddCheck<ModelsReadyHealthCheck>("models", tags: [ServiceDefaultsExtensions.ReadyTag]);
    }

    public static void MapEmbeddingEndpoints(this WebApplication app) => app.MapGrpcService<EmbeddingGrpcService>();
}
