namespace FacePlatform.Vision.Inference;

/// <summary>
/// The outputs of one request's samples: a view of rows <c>[Start, Start + Count)</c> of a run's outputs, so coalesced
/// requests share the run's arrays without copies; a request split over several runs (<see cref="Concat"/>) reads
/// each row from its part.
/// </summary>
public sealed class ModelOutputs
{
    private readonly IReadOnlyDictionary<string, (float[] Data, int RowSize)> _outputs;
    private readonly ModelOutputs[]? _parts;
    private readonly int _partSize;

    internal ModelOutputs(IReadOnlyDictionary<string, (float[] Data, int RowSize)> outputs, int start, int count)
    {
        _outputs = outputs;
        Start = start;
        Count = count;
    }

    private ModelOutputs(ModelOutputs[] parts, int partSize)
    {
        _outputs = parts[0]._outputs;
        _parts = parts;
        _partSize = partSize;
        Count = parts.Sum(p => p.Count);
    }

    /// <summary>First row of the request in the run's outputs (0 for a split request).</summary>
    public int Start { get; }

    /// <summary>Rows of the request.</summary>
    public int Count { get; }

    /// <summary>True when the model has an output of this name.</summary>
    public bool Has(string name) => _outputs.ContainsKey(name);

    /// <summary>Values per sample of an output.</summary>
    public int RowSize(string name) => Get(name).RowSize;

    /// <summary>Output <paramref name="name"/> of the request's sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Row(string name, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        if (_parts is not null)
        {
            return _parts[index / _partSize].Row(name, index % _partSize);
        }

        var (data, size) = Get(name);
        return data.AsSpan((Start + index) * size, size);
    }

    /// <summary>The outputs of a request split into parts of <paramref name="partSize"/> samples (the last may be shorter).</summary>
    internal static ModelOutputs Concat(ModelOutputs[] parts, int partSize) => parts.Length == 1 ? parts[0] : new ModelOutputs(parts, partSize);

    private (float[] Data, int RowSize) Get(string name) =>
        _outputs.TryGetValue(name, out var output) ? output : throw new KeyNotFoundException($"The model has no output '{name}'.");
}
