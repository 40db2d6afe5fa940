using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace FacePlatform.Attributes.Inference;

/// <summary>
/// The attribute models (FaceRes for age and gender, emotion, anti-spoofing, liveness), loaded once in the background
/// at start; readiness stays Unhealthy until they are.
/// </summary>
internal sealed partial class AttributeModels(
    IOptions<ModelsOptions> models,
    IOptions<InferenceOptions> inference,
    IOptions<RecognitionOptions> recognition,
    InferenceTelemetry telemetry,
    ILoggerFactory loggers,
    ILogger<AttributeModels> logger) : BackgroundService, IAsyncDisposable
{
    private ModelCatalog? _catalog;
    private AttributePredictor? _predictor;
    private volatile bool _ready;

    public Exception? LoadError { get; private set; }

    public bool IsReady => _ready;

    public RecognitionOptions Recognition => recognition.Value;

    public AttributePredictor Predictor => _predictor ?? throw new InvalidOperationException("The models are not loaded.");

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        var directory = ModelDirectory.Resolve(models.Value.Directory);
        try
        {
            _catalog = ModelCatalog.Open(directory, inference.Value, telemetry, loggers);
            var predictor = PipelineFactory.CreateAttributes(_catalog, recognition.Value.DefaultModel, recognition.Value.AgeReadout);
            // Open every session now, so the first call does not pay for it and readiness means ready.
            foreach (var id in predictor.ModelIds)
            {
                _ = _catalog.Get(id);
            }

            _predictor = predictor;
            _ready = true;
            var names = string.Join(", ", predictor.ModelIds);
            LogLoaded(logger, directory, names);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or KeyNotFoundException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException)
        {
            LoadError = ex;
            LogLoadFailed(logger, ex, directory);
        }
    }, stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_catalog is { } catalog)
        {
            _catalog = null;
            await catalog.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attribute models loaded from {Directory}: {Models}")]
    private static partial void LogLoaded(ILogger logger, string directory, string models);

    [LoggerMessage(Level = LogLevel.Error, Message = "Attribute models could not be loaded from {Directory}; the service stays unready")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string directory);
}

/// <summary>Readiness: Healthy once the models are loaded.</summary>
internal sealed class ModelsReadyHealthCheck(AttributeModels models) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(models.IsReady
            ? HealthCheckResult.Healthy("models loaded")
            : HealthCheckResult.Unhealthy(models.LoadError?.Message ?? "models loading"));
}
