using System.Numerics.Tensors;

namespace FacePlatform.Training.Heads;

/// <summary>Adam (Kingma &amp; Ba 2015) with decoupled weight decay, over a network's parameter arrays.</summary>
public sealed class AdamOptimizer
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;

    /// <summary>Creates moment buffers for <paramref name="parameters"/>.</summary>
    public AdamOptimizer(IReadOnlyList<float[]> parameters, float learningRate, float weightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        FirstMoments = [.. parameters.Select(p => new float[p.Length])];
        SecondMoments = [.. parameters.Select(p => new float[p.Length])];
    }

    /// <summary>The parameters it updates.</summary>
    public IReadOnlyList<float[]> Parameters { get; }

    /// <summary>Step size.</summary>
    public float LearningRate { get; }

    /// <summary>Decoupled weight decay per step (times the learning rate).</summary>
    public float WeightDecay { get; }

    /// <summary>First moment estimates (checkpointed).</summary>
    public float[][] FirstMoments { get; }

    /// <summary>Second moment estimates (checkpointed).</summary>
    public float[][] SecondMoments { get; }

    /// <summary>Steps taken (checkpointed).</summary>
    public int Steps { get; set; }

    /// <summary>Applies one update from <paramref name="gradients"/>.</summary>
    public void Step(float[][] gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        Steps++;
        var correction1 = 1 - MathF.Pow(Beta1, Steps);
        var correction2 = 1 - MathF.Pow(Beta2, Steps);
        var stepSize = LearningRate * MathF.Sqrt(correction2) / correction1;
        for (var p = 0; p < Parameters.Count; p++)
        {
            var w = Parameters[p];
            var g = gradients[p];
            var m = FirstMoments[p];
            var v = SecondMoments[p];
            // m = β1·m + (1−β1)·g ; v = β2·v + (1−β2)·g²
            TensorPrimitives.Multiply(m, Beta1, m);
            TensorPrimitives.MultiplyAdd(g, 1 - Beta1, m, m);
            TensorPrimitives.Multiply(v, Beta2, v);
            for (var i = 0; i < w.Length; i++)
            {
                v[i] += (1 - Beta2) * g[i] * g[i];
                w[i] -= (stepSize * m[i] / (MathF.Sqrt(v[i]) + Epsilon)) + (LearningRate * WeightDecay * w[i]);
            }
        }
    }
}
