using System.Collections.Concurrent;
using FacePlatform.ModelImport.Manifest;
using Microsoft.Extensions.Logging;

namespace FacePlatform.Vision.Inference;

/// <summary>
/// The models of one model directory, each opened once (one long-lived session and one batching runner per model)
/// on first use and disposed with the catalogue.
/// </summary>
public sealed class ModelCatalog : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<ModelRunner>> _runners = new(StringComparer.Ordinal);
    private readonly InferenceOptions _options;
    private readonly InferenceTelemetry _telemetry;
    private readonly ILoggerFactory _loggers;

    private ModelCatalog(ModelManifest manifest, InferenceOptions options, InferenceTelemetry telemetry, ILoggerFactory loggers)
    {
        Manifest = manifest;
        _options = options;
        _telemetry = telemetry;
        _loggers = loggers;
    }

    /// <summary>The manifest.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The inference settings.</summary>
    public InferenceOptions Options => _options;

    /// <summary>Reads and verifies the manifest of <paramref name="directory"/> (every file's SHA-256).</summary>
    public static ModelCatalog Open(string directory, InferenceOptions options, InferenceTelemetry telemetry, ILoggerFactory loggers) =>
        new(ModelManifest.Load(directory), options, telemetry, loggers);

    /// <summary>True when the manifest lists <paramref name="name"/>.</summary>
    public bool Has(string name) => Manifest.Find(name) is not null;

    /// <summary>The runner of <paramref name="name"/>, opening its session on first use.</summary>
    /// <exception cref="KeyNotFoundException">The manifest has no such model.</exception>
    public ModelRunner Get(string name)
    {
        var entry = Manifest[name];
        return _runners.GetOrAdd(name, _ => new Lazy<ModelRunner>(() =>
        {
            var logger = _loggers.CreateLogger("FacePlatform.Vision.Inference." + name);
            var model = OnnxModel.Load(Manifest, entry, _options, logger);
            return new ModelRunner(model, _options, _telemetry, logger);
        })).Value;
    }

    /// <summary>True for the exceptions of a model directory that cannot be loaded (missing or broken files).</summary>
    public static bool IsLoadFailure(Exception exception) =>
        exception is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or KeyNotFoundException
            or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException;

    /// <summary>The runner of <paramref name="name"/>, or null when the name is empty or not in the manifest.</summary>
    public ModelRunner? Find(string? name) => !string.IsNullOrEmpty(name) && Has(name) ? Get(name) : null;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var runner in _runners.Values.Where(r => r.IsValueCreated))
        {
            await runner.Value.DisposeAsync();
        }

        _runners.Clear();
    }
}
