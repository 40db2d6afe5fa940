namespace FacePlatform.Training.Heads;

/// <summary>
/// SplitMix64: a random source whose whole state is one number, so a checkpoint can store it and a resumed run draws
/// exactly what the uninterrupted run would have (System.Random's state cannot be saved).
/// </summary>
public sealed class DeterministicRandom
{
    /// <summary>Starts from <paramref name="seed"/>.</summary>
    public DeterministicRandom(ulong seed) => State = seed;

    /// <summary>The state (checkpointed).</summary>
    public ulong State { get; set; }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="count"/>).</summary>
    public int Next(int count) => (int)(NextDouble() * count);

    /// <summary>Fills <paramref name="values"/> with N(0, <paramref name="deviation"/>²) draws (Box–Muller).</summary>
    public void FillNormal(Span<float> values, double deviation)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var u = 1.0 - NextDouble();
            var v = NextDouble();
            values[i] = (float)(deviation * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
