using System.Collections;
using System.Collections.Concurrent;
using System.Numerics;
using System.Numerics.Tensors;

namespace FacePlatform.Identity.Search;

/// <summary>
/// Binary codes of embeddings by sign random projections (SimHash, Charikar 2002): bit i is the sign of rᵢ·x, with rᵢ
/// a fixed Gaussian vector. Two vectors at angle θ disagree on each bit with probability θ/π, so the Hamming distance
/// of two N-bit codes estimates the angle (mean N·θ/π, standard deviation √(N·p·(1−p)), p = θ/π). Random projections
/// rather than the vector's own signs because FaceRes descriptors are non-negative (ReLU): their own signs are all +.
/// Codes only choose the candidates that search re-ranks with the exact cosine, so a bit that rounding flips (a
/// projection within ~1e-7 of zero) costs one Hamming unit, never a wrong similarity.
/// </summary>
internal sealed class SimHash
{
    private static readonly ConcurrentDictionary<(int Dimension, int Bits), SimHash> Shared = new();

    /// <summary>Bits × dimension, row-major: row i is the projection of bit i.</summary>
    private readonly float[] _projections;

    /// <summary>
    /// The projections are drawn from a generator seeded by <paramref name="dimension"/> alone (SplitMix64, Box–Muller),
    /// row after row, so every service instance and every build makes the same codes, and the first N rows are the
    /// same whatever <paramref name="bits"/> is.
    /// </summary>
    public SimHash(int dimension, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        Dimension = dimension;
        Bits = bits;
        _projections = new float[bits * dimension];
        var state = 0x5EED_F00D_0000_0000UL ^ (ulong)dimension;
        for (var i = 0; i < _projections.Length; i++)
        {
            var u1 = Uniform(ref state);
            var u2 = Uniform(ref state);
            _projections[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    /// <summary>Length of the vectors this hash takes.</summary>
    public int Dimension { get; }

    /// <summary>Length of the codes it makes.</summary>
    public int Bits { get; }

    /// <summary>One shared instance per (dimension, bits): the projection matrix of 1024 × 1024 bits is 4 MB.</summary>
    public static SimHash For(int dimension, int bits) => Shared.GetOrAdd((dimension, bits), key => new SimHash(key.Dimension, key.Bits));

    /// <summary>The code of <paramref name="vector"/>: bit i is set when rᵢ·x ≥ 0.</summary>
    public BitArray Code(ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"expected {Dimension} values, got {vector.Length}", nameof(vector));
        }

        var code = new BitArray(Bits);
        var projections = _projections.AsSpan();
        for (var i = 0; i < Bits; i++)
        {
            code[i] = TensorPrimitives.Dot(projections.Slice(i * Dimension, Dimension), vector) >= 0;
        }

        return code;
    }

    /// <summary>The code of a stored (half-precision) embedding, so enrolment, back-fill and search agree bit for bit.</summary>
    public BitArray Code(ReadOnlySpan<Half> vector)
    {
        var values = new float[vector.Length];
        TensorPrimitives.ConvertToSingle(vector, values);
        return Code(values);
    }

    /// <summary>Bits in which two codes of the same length differ.</summary>
    public static int Hamming(BitArray a, BitArray b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("codes of different lengths cannot be compared", nameof(b));
        }

        var words = (a.Length + 31) / 32;
        var x = new int[words];
        var y = new int[words];
        a.CopyTo(x, 0);
        b.CopyTo(y, 0);
        var distance = 0;
        for (var i = 0; i < words; i++)
        {
            distance += BitOperations.PopCount((uint)(x[i] ^ y[i]));
        }

        return distance;
    }

    private static double Uniform(ref ulong state)
    {
        state += 0x9E37_79B9_7F4A_7C15UL;
        var z = state;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
