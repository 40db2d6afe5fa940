using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using FacePlatform.ModelImport.Conversion;
using FacePlatform.ModelImport.TensorFlowJs;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace FacePlatform.ModelImport.Tests;

/// <summary>Builds a small TF.js graph-model JSON + weights in memory, in the format tfjs-converter writes.</summary>
internal sealed class TestGraph
{
    private readonly JsonArray _nodes = [];
    private readonly JsonArray _weights = [];
    private readonly List<byte> _data = [];

    public TestGraph Placeholder(string name, params long[] shape)
    {
        var dims = new JsonArray([.. shape.Select(d => (JsonNode)new JsonObject { ["size"] = d.ToString(System.Globalization.CultureInfo.InvariantCulture) })]);
        return Node(name, "Placeholder", [], new()
        {
            ["dtype"] = new JsonObject { ["type"] = "DT_FLOAT" },
            ["shape"] = new JsonObject { ["shape"] = new JsonObject { ["dim"] = dims } },
        });
    }

    public TestGraph Const(string name, long[] shape, float[] values) =>
        Weight(name, shape, "float32", MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), null);

    public TestGraph ConstInt(string name, long[] shape, int[] values) =>
        Weight(name, shape, "int32", MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), null);

    /// <summary>A float32 weight stored quantised (e.g. uint8 with scale and min) as the raw bytes given.</summary>
    public TestGraph Weight(string name, long[] shape, string dtype, byte[] bytes, JsonObject? quantization)
    {
        var spec = new JsonObject { ["name"] = name, ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]), ["dtype"] = dtype };
        if (quantization is not null)
        {
            spec["quantization"] = quantization;
        }

        _weights.Add(spec);
        _data.AddRange(bytes);
        return Node(name, "Const", [], new() { ["dtype"] = new JsonObject { ["type"] = dtype == "int32" ? "DT_INT32" : "DT_FLOAT" } });
    }

    public TestGraph Node(string name, string op, string[] inputs, Dictionary<string, JsonNode>? attributes = null)
    {
        var attr = new JsonObject();
        foreach (var (key, value) in attributes ?? [])
        {
            attr[key] = value;
        }

        _nodes.Add(new JsonObject
        {
            ["name"] = name,
            ["op"] = op,
            ["input"] = new JsonArray([.. inputs.Select(i => (JsonNode)i)]),
            ["attr"] = attr,
        });
        return this;
    }

    public TfjsGraphModel Build()
    {
        var json = new JsonObject
        {
            ["format"] = "graph-model",
            ["generatedBy"] = "test",
            ["convertedBy"] = "test",
            ["modelTopology"] = new JsonObject { ["node"] = _nodes.DeepClone() },
            ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = new JsonArray("w.bin"), ["weights"] = _weights.DeepClone() }),
        };
        var data = _data.ToArray();
        return TfjsGraphModel.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()), _ => data);
    }

    /// <summary>Converts with output "y" bound to <paramref name="output"/> and runs ONNX Runtime on one input.</summary>
    public (float[] Values, long[] Shape) Run(string output, float[] input, long[] shape, int channelBlock = 16)
    {
        var result = TfjsToOnnxConverter.Convert(Build(), new ConversionOptions("x", [new OutputBinding(output, "y")], ChannelBlock: channelBlock));
        using var session = new InferenceSession(result.Model.ToByteArray());
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [value], ["y"]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[0].GetTensorTypeAndShape().Shape);
    }
}

/// <summary>TF attribute values as tfjs-converter writes them into the JSON.</summary>
internal static class Attr
{
    public static JsonNode S(string value) => new JsonObject { ["s"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) };

    public static JsonNode I(long value) => new JsonObject { ["i"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public static JsonNode B(bool value) => new JsonObject { ["b"] = value };

    public static JsonNode Ints(params long[] values) => new JsonObject
    {
        ["list"] = new JsonObject { ["i"] = new JsonArray([.. values.Select(v => (JsonNode)v.ToString(System.Globalization.CultureInfo.InvariantCulture))]) },
    };

    public static JsonNode Strings(params string[] values) => new JsonObject
    {
        ["list"] = new JsonObject { ["s"] = new JsonArray([.. values.Select(v => (JsonNode)Convert.ToBase64String(Encoding.UTF8.GetBytes(v)))]) },
    };
}
