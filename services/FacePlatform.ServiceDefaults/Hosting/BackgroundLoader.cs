using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FacePlatform.ServiceDefaults.Hosting;

/// <summary>
/// Loads something slow (a service's models) once, in the background at start, so the process answers health probes
/// at once; readiness stays Unhealthy until the load is done, and a failed load keeps the service unready with its
/// reason. What was loaded is disposed when the host stops.
/// </summary>
/// <param name="logger">Where the load is logged.</param>
public abstract partial class BackgroundLoader(ILogger logger) : BackgroundService, IAsyncDisposable
{
    private IAsyncDisposable? _loaded;
    private volatile bool _ready;

    /// <summary>Null while loading or once loaded; the failure when loading failed.</summary>
    public Exception? LoadError { get; private set; }

    /// <summary>True once the load has succeeded.</summary>
    public bool IsReady => _ready;

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await DisposeAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _loaded, null) is { } loaded)
        {
            await loaded.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Loads; returns what to dispose at stop and a description for the log. Runs on a thread-pool thread.
    /// </summary>
    protected abstract (IAsyncDisposable Resource, string Description) Load();

    /// <summary>True for the exceptions that mean "cannot load" (missing or broken files), as opposed to bugs.</summary>
    protected abstract bool IsLoadFailure(Exception exception);

    /// <summary>An exception for callers that come before the load is done.</summary>
    protected InvalidOperationException NotReady() =>
        new(LoadError is null ? "The models are still loading." : $"The models could not be loaded: {LoadError.Message}");

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var (resource, description) = Load();
            _loaded = resource;
            _ready = true;
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            LogLoaded(logger, GetType().Name, description, seconds);
        }
        catch (Exception ex) when (IsLoadFailure(ex))
        {
            LoadError = ex;
            var loader = GetType().Name;
            LogLoadFailed(logger, ex, loader);
        }
    }, stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Loader}: loaded {Description} in {Seconds:F1} s")]
    private static partial void LogLoaded(ILogger logger, string loader, string description, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Loader}: the load failed; the service stays unready")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string loader);
}

/// <summary>Readiness: Healthy once <typeparamref name="TLoader"/> has loaded.</summary>
/// <typeparam name="TLoader">The loader.</typeparam>
/// <param name="loader">The loader instance.</param>
public sealed class LoadedHealthCheck<TLoader>(TLoader loader) : IHealthCheck
    where TLoader : BackgroundLoader
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(loader.IsReady
            ? HealthCheckResult.Healthy("models loaded")
            : HealthCheckResult.Unhealthy(loader.LoadError?.Message ?? "models loading"));
}

/// <summary>Registration of a <see cref="BackgroundLoader"/>.</summary>
public static class BackgroundLoaderExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TLoader"/> as a singleton, a hosted service and a readiness check named "models".
    /// </summary>
    /// <typeparam name="TLoader">The loader.</typeparam>
    /// <param name="services">The services.</param>
    public static IServiceCollection AddBackgroundLoader<TLoader>(this IServiceCollection services)
        where TLoader : BackgroundLoader
    {
        services.AddSingleton<TLoader>();
        services.AddHostedService(sp => sp.GetRequiredService<TLoader>());
        services.AddHealthChecks().AddCheck<LoadedHealthCheck<TLoader>>("models", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return services;
    }
}
