namespace FacePlatform.Vision.Recognition;

/// <summary>How an age is read from FaceRes's 100 one-year bins.</summary>
public enum AgeReadout
{
    /// <summary>The expected value <c>Σ i·p(i)</c> over the bins.</summary>
    Expected,

    /// <summary>Human 3.3.6: the argmax nudged towards the larger neighbour by 10× its probability, 1 decimal.</summary>
    Human,
}

/// <summary>Age and gender from a multi-task head.</summary>
/// <param name="Age">Age in years.</param>
/// <param name="MaleProbability">Probability that the face is male.</param>
public sealed record AgeGender(float Age, float MaleProbability)
{
    /// <summary>"male" or "female".</summary>
    public string GenderLabel => MaleProbability > 0.5f ? "male" : "female";

    /// <summary>Probability of <see cref="GenderLabel"/>.</summary>
    public float GenderProbability => MaleProbability > 0.5f ? MaleProbability : 1 - MaleProbability;

    /// <summary>Reads FaceRes's outputs.</summary>
    public static AgeGender From(ReadOnlySpan<float> ageBins, float maleProbability, AgeReadout readout) =>
        new(readout == AgeReadout.Human ? HumanAge(ageBins) : ExpectedAge(ageBins), maleProbability);

    /// <summary><c>Σ i·p(i) / Σ p(i)</c>.</summary>
    public static float ExpectedAge(ReadOnlySpan<float> bins)
    {
        double sum = 0, weight = 0;
        for (var i = 0; i < bins.Length; i++)
        {
            sum += i * (double)bins[i];
            weight += bins[i];
        }

        return weight > 0 ? (float)(sum / weight) : 0;
    }

    /// <summary>Human 3.3.6's formula (PREPROCESSING.md §4), with JavaScript's round-half-up.</summary>
    public static float HumanAge(ReadOnlySpan<float> bins)
    {
        var i = 0;
        for (var k = 1; k < bins.Length; k++)
        {
            if (bins[k] > bins[i])
            {
                i = k;
            }
        }

        var previous = i > 0 ? bins[i - 1] : float.NaN;
        var next = i + 1 < bins.Length ? bins[i + 1] : 0;
        // p[-1] is undefined in JavaScript; undefined > x is false, so the formula then uses p[i+1].
        var value = i > 0 && previous > next ? (10.0 * i) - (100.0 * previous) : (10.0 * i) + (100.0 * next);
        return (float)(Math.Floor(value + 0.5) / 10);
    }
}
