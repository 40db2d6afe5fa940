namespace FacePlatform.Vision.Inference;

/// <summary>
/// The outputs of one model run for one request's samples: a view of rows <c>[Start, Start + Count)</c> of the batch
/// outputs, so coalesced requests share the run's arrays without copies.
/// </summary>
public sealed class ModelOutputs
{
    private readonly IReadOnlyDictionary<string, (float[] Data, int RowSize)> _outputs;

    internal ModelOutputs(IReadOnlyDictionary<string, (float[] Data, int RowSize)> outputs, int start, int count)
    {
        _outputs = outputs;
        Start = start;
        Count = count;
    }

    /// <summary>First batch row of this request.</summary>
    public int Start { get; }

    /// <summary>Samples of this request.</summary>
    public int Count { get; }

    /// <summary>True when the model has an output called <paramref name="name"/>.</summary>
    public bool Has(string name) => _outputs.ContainsKey(name);

    /// <summary>Values per sample of an output.</summary>
    public int RowSize(string name) => Get(name).RowSize;

    /// <summary>The values of output <paramref name="name"/> for sample <paramref name="index"/> of this request.</summary>
    public ReadOnlySpan<float> Row(string name, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var (data, size) = Get(name);
        return data.AsSpan((Start + index) * size, size);
    }

    private (float[] Data, int RowSize) Get(string name) =>
        _outputs.TryGetValue(name, out var output) ? output : throw new KeyNotFoundException($"The model has no output '{name}'.");
}
