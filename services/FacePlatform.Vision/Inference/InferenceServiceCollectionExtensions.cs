using FacePlatform.Vision.Pipeline;
using Microsoft.Extensions.DependencyInjection;

namespace FacePlatform.Vision.Inference;

/// <summary>The options and telemetry every service that hosts the models needs, bound and validated at start.</summary>
public static class InferenceServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ModelsOptions"/>, <see cref="InferenceOptions"/>, <see cref="RecognitionOptions"/> and <see cref="AttributesOptions"/> from
    /// configuration (validated on start) and registers <see cref="InferenceTelemetry"/>.
    /// </summary>
    public static IServiceCollection AddInferenceOptions(this IServiceCollection services)
    {
        services.AddOptions<ModelsOptions>().BindConfiguration(ModelsOptions.Section);
        services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.Section)
            .Validate(o => o.MaxBatchSize > 0 && o.QueueCapacity > 0 && o.BatchWindowMilliseconds >= 0 && (o.WantsCuda || string.Equals(o.Provider, "cpu", StringComparison.OrdinalIgnoreCase)),
                "Inference: Provider must be cpu or cuda; MaxBatchSize and QueueCapacity positive; BatchWindowMilliseconds not negative")
            .ValidateOnStart();
        services.AddOptions<RecognitionOptions>().BindConfiguration(RecognitionOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DefaultModel), "Recognition:DefaultModel is required")
            .Validate(o => !o.ProjectionModels.Any(string.IsNullOrWhiteSpace), "Recognition:ProjectionModels lists model ids; an empty one names no model")
            .ValidateOnStart();
        services.AddOptions<AttributesOptions>().BindConfiguration(AttributesOptions.Section)
            .Validate(o => Attributes.AgeGenderVariant.TryParse(o.AgeGender, out _), "Attributes:AgeGender must be " + Attributes.AgeGenderVariant.Spelling)
            .ValidateOnStart();
        services.AddOptions<ProfileOptions>().BindConfiguration(ProfileOptions.Section)
            .Validate(o => o.Profiles.ContainsKey(o.Default), "Profiles:Default must name a configured profile")
            .ValidateOnStart();
        services.AddSingleton<InferenceTelemetry>();
        return services;
    }
}
