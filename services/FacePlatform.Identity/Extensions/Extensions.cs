using FacePlatform.Identity.Grpc;
using FacePlatform.Identity.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using StackExchange.Redis;

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

        var postgres = builder.Configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set");
        builder.Services.AddDbContext<IdentityDbContext>(options =>
            options.UseNpgsql(postgres, npgsql => npgsql.UseVector()));
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddNpgsql());

        // Redis is a cache here, never the source of truth: connect lazily and keep going while it is down.
        var redis = ConfigurationOptions.Parse(builder.Configuration.GetConnectionString("Redis") ?? "127.0.0.1:56379");
        redis.AbortOnConnectFail = false;
        redis.ConnectTimeout = 2000;
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));

        builder.Services.AddSingleton<DatabaseInitializer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseInitializer>());
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseInitializer>("schema", tags: [ServiceDefaultsExtensions.ReadyTag])
            .AddDbContextCheck<IdentityDbContext>("postgres", tags: [ServiceDefaultsExtensions.ReadyTag])
            .AddCheck<RedisHealthCheck>("redis", tags: [ServiceDefaultsExtensions.ReadyTag]);

        builder.Services.AddGrpc(options => options.Interceptors.Add<StorageExceptionInterceptor>());
    }

    public static void MapIdentityEndpoints(this WebApplication app) => app.MapGrpcService<IdentityGrpcService>();
}
