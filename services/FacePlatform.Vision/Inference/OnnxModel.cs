using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace FacePlatform.Vision.Inference;

/// <summary>
/// One long-lived ONNX Runtime session for one manifest model, fed through <see cref="OrtValue"/>s over pooled
/// float buffers (never <c>NamedOnnxValue</c>). Runs are serialised by the owning <see cref="ModelRunner"/>.
/// </summary>
public sealed partial class OnnxModel : IDisposable
{
    private static int _cudaFallbackLogged;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    private OnnxModel(ModelEntry entry, InferenceSession session, string provider)
    {
        Entry = entry;
        _session = session;
        Provider = provider;
        _inputNames = [entry.Input.Name];
        _outputNames = [.. session.OutputMetadata.Keys];
        SampleShape = [.. entry.Input.Shape.Skip(1)];
        SampleSize = (int)SampleShape.Aggregate(1L, (a, b) => a * b);
        // Image models are NHWC; a trained head's input is a feature vector, which has no pixel format.
        Format = string.Equals(entry.Input.Layout, "NHWC", StringComparison.OrdinalIgnoreCase) ? PixelFormat.From(entry.Input) : new PixelFormat(1, 0, false);
    }

    /// <summary>The manifest entry.</summary>
    public ModelEntry Entry { get; }

    /// <summary>Model id (manifest name).</summary>
    public string Name => Entry.Name;

    /// <summary>The execution provider that serves the session: <c>cuda</c> or <c>cpu</c>.</summary>
    public string Provider { get; }

    /// <summary>The input shape without the batch dimension (NHWC: height, width, channels).</summary>
    public IReadOnlyList<long> SampleShape { get; }

    /// <summary>Floats per sample.</summary>
    public int SampleSize { get; }

    /// <summary>Input height (NHWC).</summary>
    public int InputHeight => (int)SampleShape[0];

    /// <summary>Input width (NHWC).</summary>
    public int InputWidth => (int)SampleShape[1];

    /// <summary>The input's pixel normalisation.</summary>
    public PixelFormat Format { get; }

    /// <summary>Opens the session for <paramref name="entry"/> of <paramref name="manifest"/>.</summary>
    public static OnnxModel Load(ModelManifest manifest, ModelEntry entry, InferenceOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(options);
        var path = manifest.PathOf(entry);
        if (options.WantsCuda)
        {
            using var cudaOptions = CreateOptions(options);
            if (TryAppendCuda(cudaOptions, options.DeviceId, logger))
            {
                try
                {
                    return new OnnxModel(entry, new InferenceSession(path, cudaOptions), "cuda");
                }
                catch (OnnxRuntimeException ex)
                {
                    LogCudaFallbackOnce(logger, ex.Message);
                }
            }
        }

        using var cpuOptions = CreateOptions(options);
        return new OnnxModel(entry, new InferenceSession(path, cpuOptions), "cpu");
    }

    /// <summary>
    /// Runs the model on the first <paramref name="batch"/> samples of <paramref name="input"/> and returns every
    /// output as a flat array with its size per sample.
    /// </summary>
    public IReadOnlyDictionary<string, (float[] Data, int RowSize)> Run(float[] input, int batch)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = new long[SampleShape.Count + 1];
        shape[0] = batch;
        for (var i = 0; i < SampleShape.Count; i++)
        {
            shape[i + 1] = SampleShape[i];
        }

        using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, batch * SampleSize), shape);
        using var outputs = _session.Run(_runOptions, _inputNames, [value], _outputNames);
        var result = new Dictionary<string, (float[] Data, int RowSize)>(_outputNames.Length, StringComparer.Ordinal);
        for (var i = 0; i < _outputNames.Length; i++)
        {
            var data = outputs[i].GetTensorDataAsSpan<float>();
            result[_outputNames[i]] = (data.ToArray(), batch == 0 ? 0 : data.Length / batch);
        }

        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    private static SessionOptions CreateOptions(InferenceOptions options) => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        IntraOpNumThreads = options.IntraOpThreads,
        InterOpNumThreads = options.InterOpThreads,
    };

    private static bool TryAppendCuda(SessionOptions options, int deviceId, ILogger logger)
    {
        try
        {
            options.AppendExecutionProvider_CUDA(deviceId);
            return true;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            LogCudaFallbackOnce(logger, ex.Message);
            return false;
        }
    }

    private static void LogCudaFallbackOnce(ILogger logger, string reason)
    {
        if (Interlocked.Exchange(ref _cudaFallbackLogged, 1) == 0)
        {
            LogCudaUnavailable(logger, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The CUDA execution provider is not usable ({Reason}); models run on the CPU provider. GPU nodes need CUDA 13 and cuDNN 9.")]
    private static partial void LogCudaUnavailable(ILogger logger, string reason);
}
