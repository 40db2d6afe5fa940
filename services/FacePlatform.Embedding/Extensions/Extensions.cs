using FacePlatform.ServiceDefaults.Grpc;
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
            .Validate(o => o.MinFaceSize > 0 && o.MaxFaces > 0 && o.MaxTiles > 0 && o.MinFaceFloorFraction is >= 0 and < 1, "Detection: MinFaceSize, MaxFaces and MaxTiles must be positive, MinFaceFloorFraction in [0, 1)")
            .ValidateOnStart();
        services.AddOptions<DecodeOptions>().BindConfiguration(DecodeOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.MaxImagePixels <= o.MaxPixelsInFlight, "Decode: MaxImagePixels must not exceed MaxPixelsInFlight (such a photo could never be decoded)")
            .ValidateOnStart();
        services.AddSingleton<DecodeGate>();
        services.AddBackgroundLoader<EmbeddingModels>();
    }

    public static void MapEmbeddingEndpoints(this WebApplication app)
    {
        // Photo-sized messages are received into arrays of their own, not Kestrel's pinned blocks: after one two-photo
        // Verify of 20-MB padded bombs the pinned heap held 42 MB that Kestrel's pool gives back over minutes
        // (docs/reliability.md, "Met with gRPC too"). Smaller messages (crops, small photos) go as before.
        app.UseReceivedMessages(minBytes: 1024 * 1024, maxBytes: ServiceDefaultsExtensions.MaxReceiveMessageBytes);
        app.MapGrpcService<EmbeddingGrpcService>();
    }
}
