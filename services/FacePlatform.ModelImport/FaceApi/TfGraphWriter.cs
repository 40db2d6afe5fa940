using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using FacePlatform.ModelImport.TensorFlowJs;

namespace FacePlatform.ModelImport.FaceApi;

/// <summary>
/// Writes a TensorFlow graph (NHWC, TF op names and attributes as tfjs-converter writes them) in memory and returns it
/// as a <see cref="TfjsGraphModel"/>, so an architecture that a package defines in code (face-api's nets: weights only,
/// the layers in TypeScript) goes through the same converter, layout and ONNX Runtime rewrites as the graph models.
/// Constants are stored as plain float32 / int32 in one shard.
/// </summary>
internal sealed class TfGraphWriter
{
    private readonly JsonArray _nodes = [];
    private readonly JsonArray _weights = [];
    private readonly List<byte> _data = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>The graph's single input: <c>[batch, height, width, channels]</c> float32, batch dynamic.</summary>
    public string Input(string name, long height, long width, long channels)
    {
        var dims = new JsonArray([.. new[] { -1L, height, width, channels }.Select(d => (JsonNode)new JsonObject { ["size"] = Text(d) })]);
        return Node(name, "Placeholder", [], new()
        {
            ["dtype"] = new JsonObject { ["type"] = "DT_FLOAT" },
            ["shape"] = new JsonObject { ["shape"] = new JsonObject { ["dim"] = dims } },
        });
    }

    /// <summary>A float32 constant.</summary>
    public string Constant(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
    {
        if (values.Length != shape.Aggregate(1L, (a, b) => a * b))
        {
            throw new ArgumentException($"Constant '{name}' has {values.Length} values for shape [{string.Join(',', shape)}].", nameof(values));
        }

        _data.AddRange(MemoryMarshal.AsBytes(values));
        return Spec(name, shape, "float32", "DT_FLOAT");
    }

    /// <summary>An int32 constant (axes, paddings, shapes).</summary>
    public string Ints(string name, IReadOnlyList<long> shape, params int[] values)
    {
        _data.AddRange(MemoryMarshal.AsBytes(values.AsSpan()));
        return Spec(name, shape, "int32", "DT_INT32");
    }

    /// <summary>A 1-D int32 constant.</summary>
    public string IntVector(string name, params int[] values) => Ints(name, [values.Length], values);

    /// <summary>Adds a node; returns its name (its output tensor).</summary>
    public string Node(string name, string op, IEnumerable<string> inputs, Dictionary<string, JsonNode>? attributes = null)
    {
        if (!_names.Add(name))
        {
            throw new ArgumentException($"Node '{name}' is written twice.", nameof(name));
        }

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
        return name;
    }

    /// <summary>The graph, its weights decoded by the same reader as a package's graph models.</summary>
    public TfjsGraphModel Build(string generatedBy, string convertedBy)
    {
        const string shard = "constants.bin";
        var json = new JsonObject
        {
            ["format"] = "graph-model",
            ["generatedBy"] = generatedBy,
            ["convertedBy"] = convertedBy,
            ["modelTopology"] = new JsonObject { ["node"] = _nodes.DeepClone() },
            ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = new JsonArray(shard), ["weights"] = _weights.DeepClone() }),
        };
        var data = _data.ToArray();
        return TfjsGraphModel.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()), file => file == shard
            ? data
            : throw new FileNotFoundException($"The written graph has no shard '{file}'."));
    }

    // ---- attribute values in tfjs-converter's JSON form -------------------------------------------------------------

    public static JsonNode S(string value) => new JsonObject { ["s"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) };

    public static JsonNode F(float value) => new JsonObject { ["f"] = value };

    public static JsonNode B(bool value) => new JsonObject { ["b"] = value };

    public static JsonNode IntList(params long[] values) => new JsonObject
    {
        ["list"] = new JsonObject { ["i"] = new JsonArray([.. values.Select(v => (JsonNode)Text(v))]) },
    };

    public static JsonNode StringList(params string[] values) => new JsonObject
    {
        ["list"] = new JsonObject { ["s"] = new JsonArray([.. values.Select(v => (JsonNode)Convert.ToBase64String(Encoding.UTF8.GetBytes(v)))]) },
    };

    private string Spec(string name, IReadOnlyList<long> shape, string dtype, string tfType)
    {
        _weights.Add(new JsonObject { ["name"] = name, ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]), ["dtype"] = dtype });
        return Node(name, "Const", [], new() { ["dtype"] = new JsonObject { ["type"] = tfType } });
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
