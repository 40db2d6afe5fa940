using System.Numerics.Tensors;

namespace FacePlatform.Vision.Recognition;

/// <summary>An L2-normalised face vector and the model that made it; vectors of different models are never compared.</summary>
/// <param name="ModelId">Manifest name of the recogniser.</param>
/// <param name="Vector">Unit-length components.</param>
public sealed record FaceEmbedding(string ModelId, float[] Vector)
{
    /// <summary>Cosine similarity of two embeddings of the same model.</summary>
    public float Similarity(FaceEmbedding other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!string.Equals(ModelId, other.ModelId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Embeddings of {ModelId} and {other.ModelId} cannot be compared.");
        }

        return TensorPrimitives.Dot(Vector, other.Vector);
    }

    /// <summary>Normalises <paramref name="raw"/> to unit length (a zero vector stays zero).</summary>
    public static float[] Normalise(ReadOnlySpan<float> raw)
    {
        var vector = raw.ToArray();
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }

        return vector;
    }
}
