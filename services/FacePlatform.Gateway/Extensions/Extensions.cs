using FacePlatform.Gateway.Admin;
using FacePlatform.Gateway.Auth;
using FacePlatform.Gateway.Caching;
using FacePlatform.Gateway.Faces;
using FacePlatform.Gateway.Imaging;
using FacePlatform.Gateway.Limits;
using FacePlatform.ServiceDefaults.Caching;
using FacePlatform.Gateway.Clients;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Grpc;
using FacePlatform.Gateway.OpenApi;
using FacePlatform.Gateway.Rest;
using FacePlatform.Gateway.Web;
using Microsoft.AspNetCore.Authentication;
using Scalar.AspNetCore;

namespace FacePlatform.Gateway.Extensions;

/// <summary>Wiring of the gateway: auth, clients of the internal services, REST, gRPC and OpenAPI.</summary>
internal static class Extensions
{
    public static void AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceClients();
        builder.AddCallerMetadata();
        builder.AddPlatformRedis();

        builder.Services.AddOptions<ImageLimitsOptions>().Bind(builder.Configuration.GetSection(ImageLimitsOptions.Section))
            .ValidateDataAnnotations()
            .Validate(ImageLimitsOptions.FitsTheHeap,
                "Limits:MaxImageBytesInFlight is more than half the GC heap limit; raise DOTNET_GCHeapHardLimit with it")
            .ValidateOnStart();
        builder.Services.AddOptions<RecognitionOptions>().Bind(builder.Configuration.GetSection(RecognitionOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ImageGate>();
        builder.Services.AddSingleton<GatewayTelemetry>();
        builder.Services.AddSingleton<AnalysisCache>();
        builder.Services.AddOptions<QualityGateOptions>().BindConfiguration(QualityGateOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<QualityGate>();
        builder.Services.AddScoped<FaceOperations>();
        builder.Services.AddSingleton<RecogniserCalibrations>();
        builder.Services.AddSingleton<CollectionProfiles>();
        builder.Services.AddFaceGrpcService();
        builder.Services.AddScoped<TenantAdministration>();
        builder.AddRequestLimits();
        builder.AddBrowserAccess();

        builder.Services.AddMemoryCache(options => options.SizeLimit = 100_000);
        builder.Services.AddOptions<ApiKeyAuthOptions>().BindConfiguration(ApiKeyAuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AuthTelemetry>();
        builder.Services.AddSingleton<KeyLookups>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, policy => policy.RequireClaim(Caller.ScopeClaim, Policies.Granting(Policies.Read).Select(s => s.ToString())))
            .AddPolicy(Policies.Write, policy => policy.RequireClaim(Caller.ScopeClaim, Policies.Granting(Policies.Write).Select(s => s.ToString())))
            .AddPolicy(Policies.Admin, policy => policy.RequireClaim(Caller.ScopeClaim, Policies.Granting(Policies.Admin).Select(s => s.ToString())));

        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi(options => options
            .AddDocumentTransformer<ApiKeySecurityTransformer>()
            .AddOperationTransformer<PhotoBodyTransformer>());
    }

    public static void UseGatewayPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebUi();
        app.UseCorsForAllowedOrigins();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        // After authentication and rate limits: a refused caller never holds photo bytes of the in-flight budget.
        app.UseGrpcMessageBudget();
        // grpc-web for the FaceService endpoints only (EnableGrpcWeb). After the budget: its base64 reader of
        // grpc-web-text bodies does not survive the budget's peek (measured: "Unexpected end of data" on every call).
        app.UseGrpcWeb();
    }

    public static void MapGatewayEndpoints(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", options => options.WithTitle("FacePlatform API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapCollectionEndpoints();
        app.MapSubjectEndpoints();
        app.MapFaceEndpoints();
        app.MapAdminEndpoints();
        app.MapFaceGrpcService();
    }
}
