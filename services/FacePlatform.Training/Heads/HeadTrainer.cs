using System.Security.Cryptography;
using System.Text;

namespace FacePlatform.Training.Heads;

/// <summary>How <see cref="HeadTrainer"/> trains.</summary>
public sealed record TrainerOptions
{
    /// <summary>Most epochs.</summary>
    public int Epochs { get; init; } = 40;

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's step size.</summary>
    public float LearningRate { get; init; } = 3e-3f;

    /// <summary>Decoupled weight decay.</summary>
    public float WeightDecay { get; init; } = 1e-4f;

    /// <summary>Hidden units of each head (0: linear heads).</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Epochs without a better validation metric before a head stops (its best epoch's weights are kept).</summary>
    public int Patience { get; init; } = 6;

    /// <summary>Seed of every random draw: the same seed, data and options give the same weights.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Per-head settings.</summary>
    public HeadSettings Heads { get; init; } = new();

    /// <summary>Checkpoint written after every epoch and resumed from when it matches this run (null: none).</summary>
    public string? CheckpointPath { get; init; }
}

/// <summary>One head's epoch, as progress.</summary>
/// <param name="Head">The head.</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean training loss of the epoch.</param>
/// <param name="Metric">Validation metric after the epoch.</param>
/// <param name="Improved">True when the metric is the best so far.</param>
/// <param name="Stopped">True when the head stopped early after this epoch.</param>
public sealed record EpochReport(HeadKind Head, int Epoch, double TrainLoss, double Metric, bool Improved, bool Stopped);

/// <summary>A trained head: the network with its best epoch's weights, and how it got there.</summary>
public sealed class TrainedHead
{
    internal TrainedHead(Head head, Mlp network, int trainCount, int validationCount, double? baseline)
    {
        Head = head;
        Network = network;
        TrainCount = trainCount;
        ValidationCount = validationCount;
        Baseline = baseline;
    }

    /// <summary>The task.</summary>
    public Head Head { get; }

    /// <summary>The network (best weights once training ends).</summary>
    public Mlp Network { get; }

    /// <summary>Training samples with this head's label.</summary>
    public int TrainCount { get; }

    /// <summary>Validation samples with this head's label.</summary>
    public int ValidationCount { get; }

    /// <summary>The pretrained model's figure on the same validation samples, when it has one.</summary>
    public double? Baseline { get; }

    /// <summary>The validation metric before the first step (random weights).</summary>
    public double InitialMetric { get; internal set; } = double.NaN;

    /// <summary>Best validation metric.</summary>
    public double BestMetric { get; internal set; } = double.NaN;

    /// <summary>Epoch of <see cref="BestMetric"/> (0: none).</summary>
    public int BestEpoch { get; internal set; }

    /// <summary>Epochs run.</summary>
    public int Epochs { get; internal set; }

    /// <summary>True when early stopping ended training.</summary>
    public bool StoppedEarly { get; internal set; }

    /// <summary>Mean training loss per epoch.</summary>
    public List<double> Losses { get; } = [];

    /// <summary>Validation metric per epoch.</summary>
    public List<double> Metrics { get; } = [];

    /// <summary>The served outputs (as the ONNX graph gives them) for <paramref name="rows"/> feature rows.</summary>
    public float[] Predict(ReadOnlySpan<float> features, int rows)
    {
        var pass = Network.Forward(features, rows);
        var outputs = new float[rows * Head.OutputWidth];
        Head.Activate(pass.Output, rows, outputs);
        return outputs;
    }
}

/// <summary>
/// Trains heads on cached backbone features with minibatch Adam: one network per head, the heads side by side epoch by
/// epoch, each with its own random stream (so which heads are chosen does not change any one of them), its validation
/// metric after every epoch, early stopping with the best epoch's weights kept, and a checkpoint after every epoch from
/// which an interrupted run resumes to the same result.
/// </summary>
public static class HeadTrainer
{
    private const int CheckpointFormat = 1;

    /// <summary>Trains <paramref name="kinds"/> on <paramref name="samples"/> (their <see cref="FaceSample.Validation"/> flag splits them).</summary>
    /// <exception cref="InvalidOperationException">A head has no training or no validation sample with its label.</exception>
    public static IReadOnlyList<TrainedHead> Train(
        IReadOnlyList<FaceSample> samples, IReadOnlyList<HeadKind> kinds, TrainerOptions options, Action<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentNullException.ThrowIfNull(options);
        if (samples.Count == 0)
        {
            throw new InvalidOperationException("No samples to train on.");
        }

        var width = samples[0].Features.Length;
        var states = new List<HeadState>();
        foreach (var kind in kinds.Distinct())
        {
            var head = Head.Create(kind, options.Heads);
            var train = samples.Where(s => !s.Validation && head.HasLabel(s)).ToList();
            var validation = samples.Where(s => s.Validation && head.HasLabel(s)).ToList();
            if (train.Count == 0 || validation.Count == 0)
            {
                throw new InvalidOperationException($"Head {head.OutputName}: {train.Count} training and {validation.Count} validation samples carry its label; both must be at least 1.");
            }

            var random = new DeterministicRandom(options.Seed ^ (0x9E3779B97F4A7C15UL * (ulong)(kind + 1)));
            var meanSquare = train.Average(s => (double)System.Numerics.Tensors.TensorPrimitives.Dot(s.Features, s.Features));
            var network = new Mlp(width, options.Hidden, head.OutputWidth, meanSquare, random);
            var state = new HeadState(new TrainedHead(head, network, train.Count, validation.Count, head.Baseline(validation)), train, validation, random,
                new AdamOptimizer(network.Parameters, options.LearningRate, options.WeightDecay));
            state.Result.InitialMetric = state.Evaluate();
            states.Add(state);
        }

        var fingerprint = Fingerprint(samples, kinds, options);
        var start = 1;
        if (options.CheckpointPath is { } path && File.Exists(path))
        {
            start = Resume(path, fingerprint, states) + 1;
        }

        for (var epoch = start; epoch <= options.Epochs && states.Any(s => !s.Result.StoppedEarly); epoch++)
        {
            foreach (var state in states.Where(s => !s.Result.StoppedEarly))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var loss = state.RunEpoch(options.BatchSize);
                var metric = state.Evaluate();
                var result = state.Result;
                result.Epochs = epoch;
                result.Losses.Add(loss);
                result.Metrics.Add(metric);
                var improved = result.Head.IsBetter(metric, result.BestMetric);
                if (improved)
                {
                    result.BestMetric = metric;
                    result.BestEpoch = epoch;
                    state.KeepBest();
                    state.Stale = 0;
                }
                else if (++state.Stale >= options.Patience)
                {
                    result.StoppedEarly = true;
                }

                progress?.Invoke(new EpochReport(result.Head.Kind, epoch, loss, metric, improved, result.StoppedEarly));
            }

            if (options.CheckpointPath is { } checkpoint)
            {
                Save(checkpoint, fingerprint, epoch, states);
            }
        }

        foreach (var state in states)
        {
            state.RestoreBest();
        }

        return [.. states.Select(s => s.Result)];
    }

    /// <summary>What a checkpoint must match to be resumed: the samples (paths, labels, split, features), heads and options.</summary>
    private static string Fingerprint(IReadOnlyList<FaceSample> samples, IReadOnlyList<HeadKind> kinds, TrainerOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Join(",", kinds.Distinct()) + "|" + (options with { CheckpointPath = null, Epochs = 0 })));
        foreach (var sample in samples)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{sample.Path}|{sample.Labels}|{sample.Validation}"));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sample.Features.AsSpan()));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Save(string path, string fingerprint, int epoch, List<HeadState> states)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temporary)))
        {
            writer.Write(CheckpointFormat);
            writer.Write(fingerprint);
            writer.Write(epoch);
            foreach (var state in states)
            {
                state.Write(writer);
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static int Resume(string path, string fingerprint, List<HeadState> states)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadInt32() != CheckpointFormat || reader.ReadString() != fingerprint)
        {
            throw new InvalidOperationException($"Checkpoint {path} belongs to another run (other data, heads or options); remove it or choose another --checkpoint.");
        }

        var epoch = reader.ReadInt32();
        foreach (var state in states)
        {
            state.Read(reader);
        }

        return epoch;
    }

    private sealed class HeadState(TrainedHead result, List<FaceSample> train, List<FaceSample> validation, DeterministicRandom random, AdamOptimizer optimizer)
    {
        private float[][] _best = [.. result.Network.Parameters.Select(p => (float[])p.Clone())];
        private readonly float[] _validationFeatures = Stack(validation);

        public TrainedHead Result => result;

        public int Stale { get; set; }

        public double RunEpoch(int batchSize)
        {
            var network = result.Network;
            var head = result.Head;
            double total = 0;
            var seen = 0;
            foreach (var indices in head.Batches(train, batchSize, random))
            {
                var batch = indices.Select(i => train[i]).ToList();
                var x = Stack(batch);
                var pass = network.Forward(x, batch.Count);
                var gradient = new float[pass.Output.Length];
                var loss = head.Loss(pass.Output, batch, gradient);
                var gradients = network.NewGradients();
                network.Backward(x, pass, gradient, gradients);
                optimizer.Step(gradients);
                total += loss * batch.Count;
                seen += batch.Count;
            }

            return seen == 0 ? double.NaN : total / seen;
        }

        public double Evaluate() => result.Head.Metric(result.Predict(_validationFeatures, validation.Count), validation);

        public void KeepBest() => _best = [.. result.Network.Parameters.Select(p => (float[])p.Clone())];

        public void RestoreBest()
        {
            for (var i = 0; i < _best.Length; i++)
            {
                _best[i].CopyTo(result.Network.Parameters[i], 0);
            }
        }

        public void Write(BinaryWriter writer)
        {
            writer.Write(random.State);
            writer.Write(optimizer.Steps);
            writer.Write(Stale);
            writer.Write(result.BestMetric);
            writer.Write(result.BestEpoch);
            writer.Write(result.Epochs);
            writer.Write(result.StoppedEarly);
            WriteList(writer, result.Losses);
            WriteList(writer, result.Metrics);
            foreach (var arrays in new[] { result.Network.Parameters, optimizer.FirstMoments, optimizer.SecondMoments, _best })
            {
                foreach (var array in arrays)
                {
                    writer.Write(array.Length);
                    writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(array.AsSpan()));
                }
            }
        }

        public void Read(BinaryReader reader)
        {
            random.State = reader.ReadUInt64();
            optimizer.Steps = reader.ReadInt32();
            Stale = reader.ReadInt32();
            result.BestMetric = reader.ReadDouble();
            result.BestEpoch = reader.ReadInt32();
            result.Epochs = reader.ReadInt32();
            result.StoppedEarly = reader.ReadBoolean();
            ReadList(reader, result.Losses);
            ReadList(reader, result.Metrics);
            foreach (var arrays in new IReadOnlyList<float[]>[] { result.Network.Parameters, optimizer.FirstMoments, optimizer.SecondMoments, _best })
            {
                foreach (var array in arrays)
                {
                    var length = reader.ReadInt32();
                    if (length != array.Length)
                    {
                        throw new InvalidDataException("The checkpoint's parameter shapes differ from this run's.");
                    }

                    reader.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(array.AsSpan()));
                }
            }
        }

        private static void WriteList(BinaryWriter writer, List<double> values)
        {
            writer.Write(values.Count);
            foreach (var value in values)
            {
                writer.Write(value);
            }
        }

        private static void ReadList(BinaryReader reader, List<double> values)
        {
            values.Clear();
            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                values.Add(reader.ReadDouble());
            }
        }

        private static float[] Stack(List<FaceSample> samples)
        {
            var width = samples.Count > 0 ? samples[0].Features.Length : 0;
            var all = new float[samples.Count * width];
            for (var i = 0; i < samples.Count; i++)
            {
                samples[i].Features.CopyTo(all, i * width);
            }

            return all;
        }
    }
}
