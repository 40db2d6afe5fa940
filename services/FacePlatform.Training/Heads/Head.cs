namespace FacePlatform.Training.Heads;

/// <summary>The heads <c>facectl train</c> can train.</summary>
public enum HeadKind
{
    /// <summary>Male probability, binary cross-entropy.</summary>
    Gender,

    /// <summary>The seed's binary "young", binary cross-entropy.</summary>
    Young,

    /// <summary>Age as a distribution over one-year bins (cross-entropy), read as the expected value.</summary>
    Age,

    /// <summary>An embedding projection trained with a triplet loss on cosine similarity.</summary>
    Projection,
}

/// <summary>
/// One head's task: which samples it can learn from, its loss and the loss's derivative by the network's outputs, how
/// the raw outputs become the served ones (the same function the ONNX graph applies), and its validation metric.
/// </summary>
public abstract class Head
{
    /// <summary>Which head.</summary>
    public abstract HeadKind Kind { get; }

    /// <summary>Name of the ONNX output.</summary>
    public string OutputName => Kind.ToString().ToLowerInvariant();

    /// <summary>Width of the network's output.</summary>
    public abstract int OutputWidth { get; }

    /// <summary>Name of the validation metric.</summary>
    public abstract string MetricName { get; }

    /// <summary>True when a larger metric is better.</summary>
    public abstract bool HigherIsBetter { get; }

    /// <summary>True when <paramref name="sample"/> carries this head's label.</summary>
    public abstract bool HasLabel(FaceSample sample);

    /// <summary>
    /// The mean loss over <paramref name="batch"/> given the network's raw outputs <paramref name="logits"/>
    /// ([batch, OutputWidth]); writes its derivative by each output into <paramref name="gradient"/>.
    /// </summary>
    public abstract double Loss(ReadOnlySpan<float> logits, IReadOnlyList<FaceSample> batch, Span<float> gradient);

    /// <summary>The served outputs (sigmoid, softmax or L2-normalised) of raw outputs, row by row.</summary>
    public abstract void Activate(ReadOnlySpan<float> logits, int rows, Span<float> outputs);

    /// <summary>The validation metric of the served outputs of <paramref name="samples"/>.</summary>
    public abstract double Metric(ReadOnlySpan<float> outputs, IReadOnlyList<FaceSample> samples);

    /// <summary>The same metric for the pretrained model (its own answers or raw features), or null when it has none.</summary>
    public abstract double? Baseline(IReadOnlyList<FaceSample> samples);

    /// <summary>The training batches of one epoch, as indices into <paramref name="samples"/>.</summary>
    public virtual IReadOnlyList<int[]> Batches(IReadOnlyList<FaceSample> samples, int batchSize, DeterministicRandom random)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(random);
        var order = Enumerable.Range(0, samples.Count).ToList();
        random.Shuffle(order);
        return [.. order.Chunk(batchSize)];
    }

    /// <summary>True when <paramref name="candidate"/> is a better metric than <paramref name="best"/>.</summary>
    public bool IsBetter(double candidate, double best) =>
        !double.IsNaN(candidate) && (double.IsNaN(best) || (HigherIsBetter ? candidate > best : candidate < best));

    /// <summary>Creates the head of <paramref name="kind"/> with the given settings.</summary>
    public static Head Create(HeadKind kind, HeadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return kind switch
        {
            HeadKind.Gender => new BinaryHead(HeadKind.Gender, s => s.Labels.Male, s => s.PretrainedMale),
            HeadKind.Young => new BinaryHead(HeadKind.Young, s => s.Labels.Young, s => s.PretrainedAge is { } a ? a < settings.YoungBelow ? 1f : 0f : null),
            HeadKind.Age => new AgeBinsHead(settings.AgeBins),
            HeadKind.Projection => new ProjectionHead(settings.ProjectionWidth, settings.TripletMargin, settings.SamplesPerSubject),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }
}

/// <summary>Head settings (from <c>facectl train</c>'s options).</summary>
public sealed record HeadSettings
{
    /// <summary>One-year age bins: 0 … AgeBins − 1 (older ages count as the last bin).</summary>
    public int AgeBins { get; init; } = 101;

    /// <summary>Ages below this are "young" where a data set has no such label (CelebA has).</summary>
    public float YoungBelow { get; init; } = 30;

    /// <summary>Width of the projection.</summary>
    public int ProjectionWidth { get; init; } = 128;

    /// <summary>Margin of the triplet loss on cosine similarity.</summary>
    public float TripletMargin { get; init; } = 0.2f;

    /// <summary>Photos per identity in a projection batch (P identities × K photos).</summary>
    public int SamplesPerSubject { get; init; } = 4;
}
