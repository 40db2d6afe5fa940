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

    /// <summary>
    /// Threads inside one operator (0 = ONNX Runtime's default: one per physical core). Default 1: on the CPU the
    /// workers (<see cref="Workers"/>) use the cores better than threads splitting each small operator
    /// (docs/benchmarks.md).
    /// </summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>
    /// Model runs in flight at once per model (0 = automatic: on the CPU provider one per core divided by
    /// <see cref="IntraOpThreads"/>; with CUDA one, where batches do the work).
    /// </summary>
    public int Workers { get; set; }

    /// <summary>
    /// Requests with more samples than this are split into parts, run side by side by the workers, and no batch grows
    /// beyond it (0 = automatic: 2 on the CPU provider, where larger batches cost more per sample — 17 detector tiles
    /// took 146 ms as one batch and 94 ms one by one; with CUDA <see cref="MaxBatchSize"/>).
    /// </summary>
    public int SplitSize { get; set; }

    /// <summary>Threads across independent operators (0 = default).</summary>
    public int InterOpThreads { get; set; }

    /// <summary>How long a batch waits for more requests once its first one arrived, in milliseconds (0 = take only
    /// what is already queued; batches still form under load while the previous one runs). Default 0: on the CPU
    /// provider batches larger than 2 gain nothing, so waiting only adds latency; GPU nodes set ~2 (the Helm chart
    /// does).</summary>
    public double BatchWindowMilliseconds { get; set; }

    /// <summary>Most samples (faces, tiles) in one model run.</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Most requests waiting per model; beyond it callers get <c>RESOURCE_EXHAUSTED</c>.</summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>The workers per model (<see cref="Workers"/> resolved).</summary>
    public int WorkersFor() => Workers > 0
        ? Workers
        : WantsCuda ? 1 : Math.Max(1, Environment.ProcessorCount / Math.Max(1, IntraOpThreads == 0 ? Environment.ProcessorCount : IntraOpThreads));

    /// <summary>The largest request part (<see cref="SplitSize"/> resolved).</summary>
    public int SplitSizeFor() => SplitSize > 0 ? SplitSize : WantsCuda ? Math.Max(1, MaxBatchSize) : 2;

    /// <summary>True when the CUDA provider is asked for.</summary>
    public bool WantsCuda => string.Equals(Provider, "cuda", StringComparison.OrdinalIgnoreCase);
}
