using System.Collections.Concurrent;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;
using Microsoft.Extensions.Options;

namespace FacePlatform.Embedding.Inference;

/// <summary>
/// The embedding service's models: the detector with its mesh and the recognisers, loaded once in the background at
/// start (readiness stays Unhealthy until they are) and shared by every call.
/// </summary>
internal sealed partial class EmbeddingModels(
    IOptions<ModelsOptions> models,
    IOptions<InferenceOptions> inference,
    IOptions<DetectionOptions> detection,
    IOptions<RecognitionOptions> recognition,
    InferenceTelemetry telemetry,
    ILoggerFactory loggers,
    ILogger<EmbeddingModels> logger) : BackgroundService, IAsyncDisposable
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, FaceRecogniser> _recognisers = new(StringComparer.Ordinal);
    private ModelCatalog? _catalog;
    private FaceDetector? _detector;

    /// <summary>Null while loading; the failure once loading failed.</summary>
    public Exception? LoadError { get; private set; }

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    public RecognitionOptions Recognition => recognition.Value;

    public FaceDetector Detector => _detector ?? throw NotReady();

    /// <summary>The recogniser <paramref name="model"/> (empty: the default), its session opened on first use.</summary>
    public FaceRecogniser Recogniser(string? model)
    {
        var catalog = _catalog ?? throw NotReady();
        var name = string.IsNullOrEmpty(model) ? recognition.Value.DefaultModel : model;
        return _recognisers.GetOrAdd(name, n => PipelineFactory.CreateRecogniser(catalog, recognition.Value, n));
    }

    public IEnumerable<string> DetectorModelIds => Detector.ModelIds;

    /// <summary>True when the manifest has a recogniser called <paramref name="model"/>.</summary>
    public bool HasRecogniser(string model) =>
        _catalog?.Manifest.Find(model) is { } entry && entry.Task.Contains("face-embedding", StringComparison.Ordinal);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        var directory = ModelDirectory.Resolve(models.Value.Directory);
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            _catalog = ModelCatalog.Open(directory, inference.Value, telemetry, loggers);
            _detector = PipelineFactory.CreateDetector(_catalog, detection.Value);
            var recogniser = Recogniser(null);
            var names = string.Join(", ", _detector.ModelIds.Append(recogniser.ModelId));
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            LogLoaded(logger, directory, names, recogniser.Runner.Model.Provider, seconds);
            _ready.TrySetResult();
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or KeyNotFoundException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException)
        {
            LoadError = ex;
            LogLoadFailed(logger, ex, directory);
            _ready.TrySetException(ex);
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

    public ImageLimits Limits { get; } = new();

    private InvalidOperationException NotReady() =>
        new(LoadError is null ? "The models are still loading." : $"The models could not be loaded: {LoadError.Message}");

    [LoggerMessage(Level = LogLevel.Information, Message = "Models loaded from {Directory}: {Models} on the {Provider} provider in {Seconds:F1} s")]
    private static partial void LogLoaded(ILogger logger, string directory, string models, string provider, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Models could not be loaded from {Directory}; the service stays unready")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string directory);
}

/// <summary>Readiness: Healthy once the models are loaded.</summary>
internal sealed class ModelsReadyHealthCheck(EmbeddingModels models) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(models.IsReady
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("models loaded")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy(models.LoadError?.Message ?? "models loading"));
}
