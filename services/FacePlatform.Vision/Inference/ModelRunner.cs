using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace FacePlatform.Vision.Inference;

/// <summary>Writes sample <paramref name="index"/> of a request into its place in the batch tensor.</summary>
/// <param name="index">The sample's index in the request (0 … count − 1).</param>
/// <param name="destination">Exactly <c>SampleSize</c> floats.</param>
public delegate void SampleFiller(int index, Span<float> destination);

/// <summary>
/// Serves one <see cref="OnnxModel"/>: requests (each with its own number of samples) wait in a bounded queue, and a
/// single loop coalesces them into batches of up to <see cref="InferenceOptions.MaxBatchSize"/> samples within
/// <see cref="InferenceOptions.BatchWindowMilliseconds"/>. Each request's filler writes straight into the pooled batch
/// buffer, so there is no copy between preprocessing and the model. A full queue refuses at once.
/// </summary>
public sealed partial class ModelRunner : IAsyncDisposable, IDisposable
{
    private readonly Channel<Work> _queue;
    private readonly InferenceOptions _options;
    private readonly InferenceTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly Task[] _loops;
    private readonly KeyValuePair<string, object?> _modelTag;
    private int _depth;

    /// <summary>Starts the loops for <paramref name="model"/>; the runner owns the model from now on.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Batching, workers and queue settings.</param>
    /// <param name="telemetry">Where runs are measured.</param>
    /// <param name="logger">Logger.</param>
    public ModelRunner(OnnxModel model, InferenceOptions options, InferenceTelemetry telemetry, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        Model = model;
        _options = options;
        _telemetry = telemetry;
        _logger = logger;
        _modelTag = new KeyValuePair<string, object?>(InferenceTelemetry.ModelAttribute, model.Name);
        // The capacity counts requests (RunAsync calls), not the parts a request is split into: see RunAsync.
        _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = options.WorkersFor() == 1 });
        telemetry.ObserveQueue(model.Name, () => Volatile.Read(ref _depth));
        // One session serves every worker (ONNX Runtime's Run is thread-safe); on the CPU provider with one intra-op
        // thread each, the workers keep all cores busy with whole model runs instead of splitting each operator.
        _loops = [.. Enumerable.Range(0, options.WorkersFor()).Select(_ =>
            Task.Factory.StartNew(LoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())];
    }

    /// <summary>The model.</summary>
    public OnnxModel Model { get; }

    /// <summary>Requests waiting or running now.</summary>
    public int QueueDepth => Volatile.Read(ref _depth);
    /// <summary>
    /// Runs <paramref name="count"/> samples, written by <paramref name="fill"/>, in the next batches. A request larger
    /// than <see cref="InferenceOptions.SplitSizeFor"/> is split into parts that the workers run side by side.
    /// </summary>
    /// <exception cref="InferenceQueueFullException">The queue is full.</exception>
    public async Task<ModelOutputs> RunAsync(int count, SampleFiller fill, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(fill);
        if (count == 0)
        {
            return new ModelOutputs(new Dictionary<string, (float[], int)>(), 0, 0);
        }

        if (Interlocked.Increment(ref _depth) > Math.Max(1, _options.QueueCapacity))
        {
            Interlocked.Decrement(ref _depth);
            _telemetry.Rejected.Add(1, _modelTag);
            throw new InferenceQueueFullException($"The queue of model '{Model.Name}' is full ({_options.QueueCapacity} requests).");
        }

        try
        {
            var split = _options.SplitSizeFor();
            var parts = new List<Task<ModelOutputs>>();
            for (var start = 0; start < count; start += split)
            {
                var work = new Work(Math.Min(split, count - start), start, fill, cancellationToken);
                if (!_queue.Writer.TryWrite(work))
                {
                    throw new ObjectDisposedException(nameof(ModelRunner), $"The runner of model '{Model.Name}' is stopped.");
                }

                parts.Add(work.Completion.Task);
            }

            return parts.Count == 1 ? await parts[0].ConfigureAwait(false) : ModelOutputs.Concat(await Task.WhenAll(parts).ConfigureAwait(false), split);
        }
        finally
        {
            Interlocked.Decrement(ref _depth);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        Model.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Work>();
        Work? carried = null;
        var window = TimeSpan.FromMilliseconds(Math.Max(0, _options.BatchWindowMilliseconds));
        var maxBatch = Math.Max(1, Math.Min(_options.MaxBatchSize, _options.SplitSizeFor()));
        while (true)
        {
            batch.Clear();
            if (carried is not null)
            {
                batch.Add(carried);
                carried = null;
            }
            else
            {
                if (!await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    return;
                }

                if (!reader.TryRead(out var first))
                {
                    continue;
                }

                batch.Add(first);
            }

            var total = batch[0].Count;
            var deadline = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
            while (total < maxBatch)
            {
                if (reader.TryRead(out var next))
                {
                    if (total + next.Count > maxBatch)
                    {
                        carried = next;
                        break;
                    }

                    batch.Add(next);
                    total += next.Count;
                    continue;
                }

                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (deadline <= Stopwatch.GetTimestamp() || remaining <= TimeSpan.Zero)
                {
                    break;
                }

                using var timeout = new CancellationTokenSource(remaining);
                try
                {
                    if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            RunBatch(batch);
        }
    }

    private void RunBatch(List<Work> batch)
    {
        batch.RemoveAll(w =>
        {
            if (!w.CancellationToken.IsCancellationRequested)
            {
                return false;
            }

            w.Completion.TrySetCanceled(w.CancellationToken);
            return true;
        });
        if (batch.Count == 0)
        {
            return;
        }

        var total = batch.Sum(w => w.Count);
        var sampleSize = Model.SampleSize;
        var buffer = ArrayPool<float>.Shared.Rent(total * sampleSize);
        try
        {
            var offset = 0;
            var filled = new List<(Work Work, int Start)>(batch.Count);
            foreach (var work in batch)
            {
                var slice = buffer.AsSpan(offset * sampleSize, work.Count * sampleSize);
                try
                {
                    for (var i = 0; i < work.Count; i++)
                    {
                        work.Fill(work.First + i, slice.Slice(i * sampleSize, sampleSize));
                    }

                    filled.Add((work, offset));
                }
                catch (Exception ex)
                {
                    slice.Clear();
                    work.Completion.TrySetException(ex);
                }

                offset += work.Count;
            }

            using var activity = _telemetry.ActivitySource.StartActivity("inference " + Model.Name);
            activity?.SetTag(InferenceTelemetry.ModelAttribute, Model.Name);
            activity?.SetTag(InferenceTelemetry.BatchSizeAttribute, total);
            var started = Stopwatch.GetTimestamp();
            var outputs = Model.Run(buffer, total);
            var elapsed = Stopwatch.GetElapsedTime(started);
            _telemetry.InferenceDuration.Record(elapsed.TotalSeconds, _modelTag);
            _telemetry.BatchSize.Record(total, _modelTag);
            _telemetry.BatchRequests.Record(batch.Count, _modelTag);
            LogBatch(_logger, Model.Name, total, batch.Count, elapsed.TotalMilliseconds);
            foreach (var (work, start) in filled)
            {
                work.Completion.TrySetResult(new ModelOutputs(outputs, start, work.Count));
            }
        }
        catch (Exception ex)
        {
            foreach (var work in batch)
            {
                work.Completion.TrySetException(ex);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Model}: batch of {Samples} samples from {Requests} requests in {Milliseconds:F1} ms")]
    private static partial void LogBatch(ILogger logger, string model, int samples, int requests, double milliseconds);

    private sealed class Work(int count, int first, SampleFiller fill, CancellationToken cancellationToken)
    {
        public int Count { get; } = count;

        public int First { get; } = first;

        public SampleFiller Fill { get; } = fill;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<ModelOutputs> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
