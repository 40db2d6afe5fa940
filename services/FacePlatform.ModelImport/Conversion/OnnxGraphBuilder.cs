using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace FacePlatform.ModelImport.Conversion;

/// <summary>Appends nodes and initializers to an ONNX <see cref="GraphProto"/> (protobuf types from OnnxSharp).</summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new();

    /// <summary>Number of float weights in initializers (the model's parameter count).</summary>
    public long FloatParameters { get; private set; }

    /// <summary>A tensor name not used yet, derived from <paramref name="hint"/>.</summary>
    public string Unique(string hint)
    {
        if (_names.Add(hint))
        {
            return hint;
        }

        for (var i = 1; ; i++)
        {
            var candidate = $"{hint}_{i}";
            if (_names.Add(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>Adds a node with one output named after <paramref name="outputHint"/>; returns the output name.</summary>
    public string Node(string op, string outputHint, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = Unique(outputHint);
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    public string Floats(string hint, IReadOnlyList<long> dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        FloatParameters += values.Length;
        return tensor.Name;
    }

    public string Longs(string hint, IReadOnlyList<long> dims, ReadOnlySpan<long> values)
    {
        var tensor = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Scalar(string hint, float value) => Floats(hint, [], [value]);

    public string LongVector(string hint, params long[] values) => Longs(hint, [values.Length], values);

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A tensor type with a symbolic dimension for every -1.</summary>
    public static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, IReadOnlyList<long> shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var dim in shape)
        {
            tensorShape.Dim.Add(dim < 0
                ? new TensorShapeProto.Types.Dimension { DimParam = "batch" }
                : new TensorShapeProto.Types.Dimension { DimValue = dim });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } },
        };
    }
}
