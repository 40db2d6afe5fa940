using System.Numerics.Tensors;

namespace FacePlatform.Training.Heads;

/// <summary>
/// A small feed-forward network, <c>features → [Linear → ReLU] → Linear</c>, with row-major weights
/// (<c>W[out, in]</c>, the layout of ONNX <c>Gemm</c> with <c>transB = 1</c>). Forward and backward passes are written
/// out with <see cref="TensorPrimitives"/> over whole rows; single-threaded, so a fixed seed gives the same weights twice.
/// </summary>
public sealed class Mlp
{
    /// <summary>Creates a network with weights drawn from <paramref name="random"/>.</summary>
    /// <param name="inputs">Feature width.</param>
    /// <param name="hidden">Hidden units; 0 for a single linear layer.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="inputMeanSquare">Mean of ‖x‖² over the training features: the first layer is scaled so that its
    /// pre-activations have unit variance whatever the features' scale (L2-normalised embeddings have ‖x‖ = 1).</param>
    /// <param name="random">Source of the initial weights.</param>
    public Mlp(int inputs, int hidden, int outputs, double inputMeanSquare, DeterministicRandom random)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        ArgumentNullException.ThrowIfNull(random);
        Inputs = inputs;
        Hidden = hidden;
        Outputs = outputs;
        var firstScale = Math.Sqrt((hidden > 0 ? 2.0 : 1.0) / Math.Max(inputMeanSquare, 1e-12));
        if (hidden > 0)
        {
            W1 = new float[hidden * inputs];
            B1 = new float[hidden];
            random.FillNormal(W1, firstScale);
            W2 = new float[outputs * hidden];
            random.FillNormal(W2, Math.Sqrt(1.0 / hidden));
        }
        else
        {
            W1 = [];
            B1 = [];
            W2 = new float[outputs * inputs];
            random.FillNormal(W2, firstScale);
        }

        B2 = new float[outputs];
    }

    /// <summary>Feature width.</summary>
    public int Inputs { get; }

    /// <summary>Hidden units (0: linear).</summary>
    public int Hidden { get; }

    /// <summary>Output width.</summary>
    public int Outputs { get; }

    /// <summary>First layer weights [Hidden, Inputs] (empty when linear).</summary>
    public float[] W1 { get; }

    /// <summary>First layer bias [Hidden] (empty when linear).</summary>
    public float[] B1 { get; }

    /// <summary>Output layer weights [Outputs, Hidden or Inputs].</summary>
    public float[] W2 { get; }

    /// <summary>Output layer bias [Outputs].</summary>
    public float[] B2 { get; }

    /// <summary>Every parameter array, in a fixed order (the optimiser's and the checkpoint's).</summary>
    public IReadOnlyList<float[]> Parameters => Hidden > 0 ? [W1, B1, W2, B2] : [W2, B2];

    private int LastWidth => Hidden > 0 ? Hidden : Inputs;

    /// <summary>Zeroed arrays shaped like <see cref="Parameters"/>.</summary>
    public float[][] NewGradients() => [.. Parameters.Select(p => new float[p.Length])];

    /// <summary>Runs <paramref name="batch"/> rows of <paramref name="x"/> ([batch, Inputs]); returns the pass's activations.</summary>
    public MlpPass Forward(ReadOnlySpan<float> x, int batch)
    {
        var hidden = Hidden > 0 ? new float[batch * Hidden] : [];
        var output = new float[batch * Outputs];
        for (var b = 0; b < batch; b++)
        {
            var row = x.Slice(b * Inputs, Inputs);
            ReadOnlySpan<float> last = row;
            if (Hidden > 0)
            {
                var h = hidden.AsSpan(b * Hidden, Hidden);
                for (var j = 0; j < Hidden; j++)
                {
                    h[j] = TensorPrimitives.Dot(row, W1.AsSpan(j * Inputs, Inputs)) + B1[j];
                }

                TensorPrimitives.Max(h, 0f, h);
                last = h;
            }

            var o = output.AsSpan(b * Outputs, Outputs);
            for (var k = 0; k < Outputs; k++)
            {
                o[k] = TensorPrimitives.Dot(last, W2.AsSpan(k * LastWidth, LastWidth)) + B2[k];
            }
        }

        return new MlpPass(batch, hidden, output);
    }

    /// <summary>
    /// Adds to <paramref name="gradients"/> (shaped like <see cref="Parameters"/>) the gradient of the loss whose
    /// derivative by the outputs is <paramref name="outputGradient"/> ([batch, Outputs]).
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, MlpPass pass, ReadOnlySpan<float> outputGradient, float[][] gradients)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(gradients);
        var (gW1, gB1, gW2, gB2) = Hidden > 0 ? (gradients[0], gradients[1], gradients[2], gradients[3]) : ([], [], gradients[0], gradients[1]);
        var width = LastWidth;
        var dHidden = Hidden > 0 ? new float[Hidden] : [];
        for (var b = 0; b < pass.Batch; b++)
        {
            var row = x.Slice(b * Inputs, Inputs);
            ReadOnlySpan<float> last = Hidden > 0 ? pass.Hidden.AsSpan(b * Hidden, Hidden) : row;
            var g = outputGradient.Slice(b * Outputs, Outputs);
            TensorPrimitives.Add(gB2, g, gB2);
            if (Hidden > 0)
            {
                Array.Clear(dHidden);
            }

            for (var k = 0; k < Outputs; k++)
            {
                if (g[k] == 0)
                {
                    continue;
                }

                var gw = gW2.AsSpan(k * width, width);
                TensorPrimitives.MultiplyAdd(last, g[k], gw, gw);
                if (Hidden > 0)
                {
                    TensorPrimitives.MultiplyAdd(W2.AsSpan(k * width, width), g[k], dHidden, dHidden);
                }
            }

            if (Hidden == 0)
            {
                continue;
            }

            for (var j = 0; j < Hidden; j++)
            {
                // ReLU: no gradient through units that were off (the kink at 0 counts as off).
                if (last[j] <= 0 || dHidden[j] == 0)
                {
                    continue;
                }

                gB1[j] += dHidden[j];
                var gw = gW1.AsSpan(j * Inputs, Inputs);
                TensorPrimitives.MultiplyAdd(row, dHidden[j], gw, gw);
            }
        }
    }
}

/// <summary>The activations of one forward pass, kept for the backward pass.</summary>
/// <param name="Batch">Rows.</param>
/// <param name="Hidden">Hidden activations after ReLU [Batch, Hidden].</param>
/// <param name="Output">Outputs (logits) [Batch, Outputs].</param>
public sealed record MlpPass(int Batch, float[] Hidden, float[] Output);
