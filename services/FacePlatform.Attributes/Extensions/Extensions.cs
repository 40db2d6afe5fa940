using FacePlatform.Attributes.Grpc;
using FacePlatform.Attributes.Inference;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;

namespace FacePlatform.Attributes.Extensions;

/// <summary>Wiring of the attributes service.</summary>
internal static class Extensions
{
    public static void AddAttributesServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ModelsOptions>().BindConfiguration(ModelsOptions.Section);
        services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.Section)
            .Validate(o => o.MaxBatchSize > 0 && o.QueueCapacity > 0 && o.BatchWindowMilliseconds >= 0 && (o.WantsCuda || string.Equals(o.Provider, "cpu", StringComparison.OrdinalIgnoreCase)),
                "Inference: Provider must be cpu or cuda; MaxBatchSize and QueueCapacity positive; BatchWindowMilliseconds not negative")
            .ValidateOnStart();
        services.AddOptions<RecognitionOptions>().BindConfiguration(RecognitionOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DefaultModel), "Recognition:DefaultModel is required")
            .ValidateOnStart();
        services.AddSingleton<InferenceTelemetry>();
        services.AddSingleton<AttributeModels>();
        services.AddHostedService(sp => sp.GetRequiredService<AttributeModels>());
        services.AddHealthChecks().AddCheck<ModelsReadyHealthCheck>("models", tags: [ServiceDefaultsExtensions.ReadyTag]);
    }

    public static void MapAttributesEndpoints(this WebApplication app) => app.MapGrpcService<AttributesGrpcService>();
}
