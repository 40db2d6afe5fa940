using FacePlatform.Identity.Audit;
using FacePlatform.Identity.Caching;
using FacePlatform.Identity.Galleries;
using FacePlatform.Identity.Grpc;
using FacePlatform.Identity.Search;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using FacePlatform.Identity.Validation;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using FacePlatform.ServiceDefaults.Caching;

namespace FacePlatform.Identity.Extensions;

/// <summary>Wiring of the identity service.</summary>
internal static class Extensions
{
    public static void AddIdentityServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentityOptions>()
            .Bind(builder.Configuration.GetSection(IdentityOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddOptions<StoreLimitsOptions>().BindConfiguration(StoreLimitsOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<StoreLimits>();
        builder.Services.AddSingleton<TenantQuotas>();

        var postgres = builder.Configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set");
        // One data source (one pool) for EF Core and for the plain Npgsql of GalleryStore (COPY, batched k-NN).
        builder.Services.AddSingleton(_ =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(postgres);
            dataSource.UseVector();
            return dataSource.Build();
        });
        // The streaming replica searches, listings and gets read from (Galleries/ReadRouting.cs); optional.
        var readOnly = builder.Configuration.GetConnectionString("PostgresReadOnly");
        builder.Services.AddSingleton(_ =>
        {
            if (string.IsNullOrEmpty(readOnly))
            {
                return new ReplicaDataSource(null);
            }

            var replica = new NpgsqlDataSourceBuilder(readOnly);
            replica.UseVector();
            return new ReplicaDataSource(replica.Build());
        });
        builder.Services.AddDbContext<IdentityDbContext>((services, options) =>
            options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.UseVector()));
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddNpgsql());

        builder.AddPlatformRedis();

        builder.Services.AddSingleton<IdentityTelemetry>();
        builder.Services.AddSingleton<GalleryStore>();
        builder.Services.AddSingleton<CodeScans>();
        builder.Services.AddSingleton<GalleryCache>();
        // The search seam (docs/scale.md): one entry point, the candidate sources the planner chooses from behind it.
        builder.Services.AddSingleton<ReadRouting>();
        builder.Services.AddSingleton<CodeIndexes>();
        builder.Services.AddSingleton<ICodeIndexes>(sp => sp.GetRequiredService<CodeIndexes>());
        builder.Services.AddSingleton<ICandidateSource, ScanCandidates>();
        builder.Services.AddSingleton<ICandidateSource, CodeIndexCandidates>();
        builder.Services.AddSingleton<ICandidateSource, ExactCandidates>();
        builder.Services.AddSingleton<GalleryReads>();
        builder.Services.AddSingleton<ICollectionFinder>(sp => sp.GetRequiredService<GalleryReads>());
        builder.Services.AddSingleton<ISearchAnswers>(sp => sp.GetRequiredService<GalleryCache>());
        builder.Services.AddSingleton<IGallerySearch, GallerySearch>();
        builder.Services.AddScoped<GalleryWrites>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddHostedService<AuditWriter>();

        builder.Services.AddSingleton<DatabaseInitializer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseInitializer>());
        builder.Services.AddHostedService<CodeScanWarmup>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseInitializer>("schema", tags: [ServiceDefaultsExtensions.ReadyTag])
            .AddCheck<DatabaseHealthCheck>("postgres", tags: [ServiceDefaultsExtensions.ReadyTag]);

        builder.Services.AddGrpc(options =>
        {
            // First added runs outermost: the audit sees the status the caller gets.
            options.Interceptors.Add<AuditInterceptor>();
            options.Interceptors.Add<StorageExceptionInterceptor>();
            options.Interceptors.Add<RequestValidationInterceptor>();
        });
    }

    public static void MapIdentityEndpoints(this WebApplication app) => app.MapGrpcService<IdentityGrpcService>();
}
