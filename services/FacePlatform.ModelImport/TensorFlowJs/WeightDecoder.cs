using System.Buffers.Binary;
using System.Text.Json;

namespace FacePlatform.ModelImport.TensorFlowJs;

/// <summary>How one weight is stored in the TF.js weights manifest.</summary>
/// <param name="Name">Node name of the Const that holds it.</param>
/// <param name="Shape">Tensor shape.</param>
/// <param name="DataType">Logical dtype: <c>float32</c>, <c>int32</c> or <c>bool</c>.</param>
/// <param name="Quantization">Storage quantisation, or null for plain little-endian values.</param>
public sealed record WeightSpec(string Name, IReadOnlyList<long> Shape, string DataType, WeightQuantization? Quantization)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    internal static WeightSpec FromJson(JsonElement weight)
    {
        var shape = weight.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        WeightQuantization? quantization = null;
        if (weight.TryGetProperty("quantization", out var q))
        {
            quantization = new WeightQuantization(
                q.GetProperty("dtype").GetString()!,
                q.TryGetProperty("scale", out var scale) ? scale.GetDouble() : null,
                q.TryGetProperty("min", out var min) ? min.GetDouble() : null);
        }

        return new WeightSpec(weight.GetProperty("name").GetString()!, shape, weight.GetProperty("dtype").GetString()!, quantization);
    }
}

/// <summary>TF.js weight quantisation: <c>float16</c>, or <c>uint8</c>/<c>uint16</c> with an affine scale and min.</summary>
public sealed record WeightQuantization(string DataType, double? Scale, double? Min);

/// <summary>A decoded constant tensor: float32 values or int32 values (widened to long), never both.</summary>
public sealed class TfTensor
{
    /// <summary>A float tensor.</summary>
    public TfTensor(IReadOnlyList<long> shape, float[] floats)
    {
        Shape = shape;
        Floats = floats;
    }

    /// <summary>An integer tensor.</summary>
    public TfTensor(IReadOnlyList<long> shape, long[] ints)
    {
        Shape = shape;
        Ints = ints;
    }

    /// <summary>Tensor shape.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Values of a float tensor.</summary>
    public float[]? Floats { get; }

    /// <summary>Values of an integer tensor.</summary>
    public long[]? Ints { get; }

    /// <summary>Whether this is an integer tensor.</summary>
    public bool IsInteger => Ints is not null;

    /// <summary>Number of elements.</summary>
    public int Length => Floats?.Length ?? Ints!.Length;
}

/// <summary>
/// Decodes TF.js weight data exactly as <c>tfjs-core/src/io/io_utils.ts</c> (<c>decodeWeight</c>) does: plain
/// little-endian values, IEEE float16, or <c>uint8</c>/<c>uint16</c> dequantised as <c>v * scale + min</c> (in double,
/// then rounded to float32; rounded to the nearest integer for int32 weights).
/// </summary>
public static class WeightDecoder
{
    /// <summary>Decodes every weight in manifest order from the concatenated shards.</summary>
    public static IReadOnlyDictionary<string, TfTensor> Decode(IReadOnlyList<WeightSpec> specs, ReadOnlySpan<byte> data)
    {
        var result = new Dictionary<string, TfTensor>(StringComparer.Ordinal);
        var offset = 0;
        foreach (var spec in specs)
        {
            var count = checked((int)spec.ElementCount);
            var bytesPerValue = spec.Quantization?.DataType switch
            {
                null => spec.DataType switch
                {
                    "float32" or "int32" => 4,
                    "bool" => 1,
                    _ => throw new InvalidDataException($"Weight '{spec.Name}' has dtype '{spec.DataType}', which cannot be imported."),
                },
                "float16" or "uint16" => 2,
                "uint8" => 1,
                var other => throw new InvalidDataException($"Weight '{spec.Name}' has unknown quantization dtype '{other}'."),
            };
            var length = count * bytesPerValue;
            if (offset + length > data.Length)
            {
                throw new InvalidDataException($"Weight data ends inside weight '{spec.Name}' (needs {offset + length} bytes, has {data.Length}).");
            }

            result[spec.Name] = DecodeOne(spec, data.Slice(offset, length));
            offset += length;
        }

        if (offset != data.Length)
        {
            throw new InvalidDataException($"Weight data has {data.Length - offset} bytes the manifest does not describe.");
        }

        return result;
    }

    /// <summary>IEEE 754 binary16 → float32 (exact; TF.js uses lookup tables that give the same bits).</summary>
    public static float[] DequantizeFloat16(ReadOnlySpan<byte> data)
    {
        var values = new float[data.Length / 2];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]));
        }

        return values;
    }

    /// <summary>Affine dequantisation of <c>uint8</c> (<paramref name="bytesPerValue"/> 1) or <c>uint16</c> (2) data.</summary>
    public static float[] DequantizeAffine(ReadOnlySpan<byte> data, int bytesPerValue, double scale, double min)
    {
        var values = new float[data.Length / bytesPerValue];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((ReadUnsigned(data, i, bytesPerValue) * scale) + min);
        }

        return values;
    }

    private static TfTensor DecodeOne(WeightSpec spec, ReadOnlySpan<byte> bytes)
    {
        var q = spec.Quantization;
        if (q is null)
        {
            return spec.DataType switch
            {
                "float32" => new TfTensor(spec.Shape, ReadFloats(bytes)),
                "int32" => new TfTensor(spec.Shape, ReadInts(bytes)),
                _ => new TfTensor(spec.Shape, bytes.ToArray().Select(b => (long)b).ToArray()),
            };
        }

        if (q.DataType == "float16")
        {
            return spec.DataType == "float32"
                ? new TfTensor(spec.Shape, DequantizeFloat16(bytes))
                : throw new InvalidDataException($"Weight '{spec.Name}': float16 quantisation needs a float32 weight, not {spec.DataType}.");
        }

        if (q.Scale is not { } scale || q.Min is not { } min)
        {
            throw new InvalidDataException($"Weight '{spec.Name}' with {q.DataType} quantization lacks scale and min.");
        }

        var width = q.DataType == "uint8" ? 1 : 2;
        return spec.DataType switch
        {
            "float32" => new TfTensor(spec.Shape, DequantizeAffine(bytes, width, scale, min)),
            "int32" => new TfTensor(spec.Shape, DequantizeAffineInt(bytes, width, scale, min)),
            _ => throw new InvalidDataException($"Weight '{spec.Name}': {q.DataType} quantisation of dtype {spec.DataType} is not supported."),
        };
    }

    private static long[] DequantizeAffineInt(ReadOnlySpan<byte> data, int bytesPerValue, double scale, double min)
    {
        var values = new long[data.Length / bytesPerValue];
        for (var i = 0; i < values.Length; i++)
        {
            // JavaScript's Math.round: halves go towards +infinity.
            values[i] = (long)Math.Floor((ReadUnsigned(data, i, bytesPerValue) * scale) + min + 0.5);
        }

        return values;
    }

    private static double ReadUnsigned(ReadOnlySpan<byte> data, int index, int bytesPerValue) =>
        bytesPerValue == 1 ? data[index] : BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * index)..]);

    private static float[] ReadFloats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        }

        return values;
    }

    private static long[] ReadInts(ReadOnlySpan<byte> bytes)
    {
        var values = new long[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
        }

        return values;
    }
}
