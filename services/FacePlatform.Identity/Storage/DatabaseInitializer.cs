using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Identity.Keys;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace FacePlatform.Identity.Storage;

/// <summary>
/// Applies the EF Core migrations and the bootstrap admin key at start, retrying until PostgreSQL answers, then fills the
/// SimHash codes of faces stored before codes existed; reports readiness (the service is not ready until the schema is
/// current and every face has its code: the HNSW code index that search walks leaves out faces without one).
/// </summary>
internal sealed partial class DatabaseInitializer(
    IServiceScopeFactory scopes,
    GalleryStore store,
    IOptions<IdentityOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<DatabaseInitializer> logger) : BackgroundService, IHealthCheck
{
    private readonly TaskCompletionSource _readySource = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _ready;

    /// <summary>Completes when the schema is current and every face has its code.</summary>
    public Task Ready => _readySource.Task;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ready
            ? HealthCheckResult.Healthy("schema is current")
            : HealthCheckResult.Unhealthy("database migrations have not been applied yet"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = TimeSpan.FromSeconds(options.Value.StartupRetrySeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
                await db.Database.MigrateAsync(stoppingToken);
                await EnsureBootstrapAdminAsync(db, stoppingToken);
                var filled = await store.BackfillCodesAsync(1000, stoppingToken);
                if (filled > 0)
                {
                    LogBackfilled(logger, filled);
                }

                _ready = true;
                _readySource.TrySetResult();
                LogReady(logger);
                if (options.Value.MigrateOnly)
                {
                    lifetime.StopApplication();
                }

                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRetry(logger, retry.TotalSeconds, exception.Message);
                await Task.Delay(retry, stoppingToken);
            }
        }
    }

    private async Task EnsureBootstrapAdminAsync(IdentityDbContext db, CancellationToken cancellationToken)
    {
        var key = options.Value.BootstrapAdminApiKey;
        if (string.IsNullOrWhiteSpace(key))
        {
            return;
        }

        var hash = ApiKeys.Hash(key);
        if (await db.ApiKeys.AnyAsync(k => k.Hash == hash, cancellationToken))
        {
            return;
        }

        var tenant = await db.Tenants.FirstOrDefaultAsync(t => t.Name == Grpc.IdentityGrpcService.PlatformTenantName, cancellationToken);
        if (tenant is null)
        {
            tenant = new TenantEntity { Id = Guid.CreateVersion7(), Name = Grpc.IdentityGrpcService.PlatformTenantName, CreatedAt = DateTimeOffset.UtcNow };
            db.Tenants.Add(tenant);
        }

        db.ApiKeys.Add(new ApiKeyEntity
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant.Id,
            Name = "bootstrap admin",
            Prefix = ApiKeys.VisiblePrefix(key),
            Hash = hash,
            Scopes = [(int)Scope.Read, (int)Scope.Write, (int)Scope.Admin],
            CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync(cancellationToken);
        LogBootstrapped(logger, tenant.Id);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is current; identity is ready")]
    private static partial void LogReady(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL is not usable yet; retrying in {Seconds} s: {Reason}")]
    private static partial void LogRetry(ILogger logger, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Computed the SimHash codes of {Faces} faces stored without one")]
    private static partial void LogBackfilled(ILogger logger, long faces);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap admin key registered for tenant {TenantId}")]
    private static partial void LogBootstrapped(ILogger logger, Guid tenantId);
}
