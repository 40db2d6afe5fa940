namespace FacePlatform.Vision.Inference;

/// <summary>
/// How models run (configuration section <c>Inference</c>). Defaults suit one CPU box; GPU nodes set
/// <c>Inference__Provider=cuda</c>.
/// </summary>
public sealed class InferenceOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Inference";

    /// <summary><c>cpu</c> or <c>cuda</c>. With <c>cuda</c> and no usable CUDA 13 + cuDNN 9, the CPU provider serves (logged once).</summary>
    public string Provider { get; set; } = "cpu";

    /// <summary>CUDA device id.</summary>
    public int DeviceId { get; set; }

    /// <summary>Threads inside one operator (0 = ONNX Runtime's default: one per physical core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads across independent operators (0 = default).</summary>
    public int InterOpThreads { get; set; }

    /// <summary>How long a batch waits for more requests once its first one arrived, in milliseconds (0 = take only
    /// what is already queued; batches still form under load while the previous one runs).</summary>
    public double BatchWindowMilliseconds { get; set; } = 2;

    /// <summary>Most samples (faces, tiles) in one model run.</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Most requests waiting per model; beyond it callers get <c>RESOURCE_EXHAUSTED</c>.</summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>True when the CUDA provider is asked for.</summary>
    public bool WantsCuda => string.Equals(Provider, "cuda", StringComparison.OrdinalIgnoreCase);
}
