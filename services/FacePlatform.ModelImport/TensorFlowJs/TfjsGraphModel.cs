using System.Text;
using System.Text.Json;

namespace FacePlatform.ModelImport.TensorFlowJs;

/// <summary>
/// A TensorFlow.js graph model (<c>format: graph-model</c>): the TensorFlow GraphDef written as JSON plus its weights
/// manifest, with the weights already decoded to float32 / int32 the way TF.js decodes them.
/// </summary>
public sealed class TfjsGraphModel
{
    private TfjsGraphModel(
        string format,
        string generatedBy,
        string convertedBy,
        IReadOnlyList<TfNode> nodes,
        IReadOnlyDictionary<string, TfTensor> weights,
        IReadOnlyList<string> signatureOutputs)
    {
        Format = format;
        GeneratedBy = generatedBy;
        ConvertedBy = convertedBy;
        Nodes = nodes;
        Weights = weights;
        SignatureOutputs = signatureOutputs;
    }

    /// <summary>The <c>format</c> field; only <c>graph-model</c> is supported.</summary>
    public string Format { get; }

    /// <summary>Where the weights come from (<c>generatedBy</c>): an upstream repository URL or a TF version.</summary>
    public string GeneratedBy { get; }

    /// <summary>Who converted the graph to TF.js (<c>convertedBy</c>).</summary>
    public string ConvertedBy { get; }

    /// <summary>The GraphDef nodes in file order.</summary>
    public IReadOnlyList<TfNode> Nodes { get; }

    /// <summary>Decoded weights by node name.</summary>
    public IReadOnlyDictionary<string, TfTensor> Weights { get; }

    /// <summary>Output tensor names from the signature (without <c>:0</c>); empty when the graph has no signature.</summary>
    public IReadOnlyList<string> SignatureOutputs { get; }

    /// <summary>
    /// The graph's outputs as TF.js takes them: the signature's outputs, or else every non-Const node that no other
    /// node consumes, in file order.
    /// </summary>
    public IReadOnlyList<string> DefaultOutputs()
    {
        if (SignatureOutputs.Count > 0)
        {
            return SignatureOutputs;
        }

        var consumed = Nodes.SelectMany(n => n.Inputs).Select(TfNode.NodeNameOf).ToHashSet(StringComparer.Ordinal);
        return [.. Nodes.Where(n => n.Op != "Const" && !consumed.Contains(n.Name)).Select(n => n.Name)];
    }

    /// <summary>Reads <paramref name="jsonPath"/> and the weight files it names (relative to it).</summary>
    public static TfjsGraphModel Load(string jsonPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(jsonPath)) ?? ".";
        return Parse(File.ReadAllBytes(jsonPath), file => File.ReadAllBytes(Path.Combine(directory, file)));
    }

    /// <summary>Parses a graph model from its JSON bytes; <paramref name="readWeightFile"/> returns a named shard.</summary>
    public static TfjsGraphModel Parse(ReadOnlySpan<byte> json, Func<string, byte[]> readWeightFile)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        var format = GetString(root, "format") ?? "graph-model";
        if (format != "graph-model")
        {
            throw new InvalidDataException($"Only TF.js graph models can be imported; this file has format '{format}'.");
        }

        var topology = root.GetProperty("modelTopology");
        var nodes = new List<TfNode>();
        if (topology.TryGetProperty("node", out var nodeArray))
        {
            foreach (var node in nodeArray.EnumerateArray())
            {
                nodes.Add(TfNode.FromJson(node));
            }
        }

        if (topology.TryGetProperty("library", out var library)
            && library.TryGetProperty("function", out var functions)
            && functions.GetArrayLength() > 0)
        {
            var function = functions[0].GetProperty("signature").GetProperty("name").GetString();
            throw new UnsupportedTensorFlowOpException(
                "function library",
                function ?? "?",
                "graph functions (control flow such as While/If) cannot be converted");
        }

        var specs = new List<WeightSpec>();
        var data = new MemoryStream();
        foreach (var group in root.GetProperty("weightsManifest").EnumerateArray())
        {
            foreach (var path in group.GetProperty("paths").EnumerateArray())
            {
                data.Write(readWeightFile(path.GetString()!));
            }

            foreach (var weight in group.GetProperty("weights").EnumerateArray())
            {
                specs.Add(WeightSpec.FromJson(weight));
            }
        }

        var weights = WeightDecoder.Decode(specs, data.ToArray());
        var signatureOutputs = new List<string>();
        if (root.TryGetProperty("signature", out var signature) && signature.TryGetProperty("outputs", out var outputs))
        {
            foreach (var output in outputs.EnumerateObject())
            {
                var name = output.Value.TryGetProperty("name", out var n) ? n.GetString()! : output.Name;
                signatureOutputs.Add(name.EndsWith(":0", StringComparison.Ordinal) ? name[..^2] : name);
            }
        }

        return new TfjsGraphModel(
            format,
            GetString(root, "generatedBy") ?? "unknown",
            GetString(root, "convertedBy") ?? "unknown",
            nodes,
            weights,
            signatureOutputs);
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>One GraphDef node: its op, inputs (<c>name</c>, <c>name:k</c> or control <c>^name</c>) and attributes.</summary>
public sealed class TfNode
{
    private readonly Dictionary<string, JsonElement> _attributes;

    private TfNode(string name, string op, IReadOnlyList<string> inputs, Dictionary<string, JsonElement> attributes)
    {
        Name = name;
        Op = op;
        Inputs = inputs;
        _attributes = attributes;
    }

    /// <summary>Node name, which is also the name of its first output tensor.</summary>
    public string Name { get; }

    /// <summary>TensorFlow op type.</summary>
    public string Op { get; }

    /// <summary>Data inputs (control inputs removed).</summary>
    public IReadOnlyList<string> Inputs { get; }

    internal static TfNode FromJson(JsonElement node)
    {
        var inputs = new List<string>();
        if (node.TryGetProperty("input", out var inputArray))
        {
            foreach (var input in inputArray.EnumerateArray())
            {
                var text = input.GetString()!;
                if (!text.StartsWith('^'))
                {
                    inputs.Add(text);
                }
            }
        }

        var attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (node.TryGetProperty("attr", out var attr))
        {
            foreach (var property in attr.EnumerateObject())
            {
                attributes[property.Name] = property.Value.Clone();
            }
        }

        return new TfNode(node.GetProperty("name").GetString()!, node.GetProperty("op").GetString()!, inputs, attributes);
    }

    /// <summary>The producing node of an input reference (<c>a/b:1</c> → <c>a/b</c>).</summary>
    public static string NodeNameOf(string input)
    {
        var name = input.TrimStart('^');
        var colon = name.LastIndexOf(':');
        return colon > 0 && int.TryParse(name.AsSpan(colon + 1), out _) ? name[..colon] : name;
    }

    /// <summary>Whether the attribute is present.</summary>
    public bool Has(string name) => _attributes.ContainsKey(name);

    /// <summary>A string attribute (<c>s</c>, base64 in the JSON), or <paramref name="fallback"/>.</summary>
    public string GetString(string name, string fallback = "") =>
        _attributes.TryGetValue(name, out var value) && value.TryGetProperty("s", out var s)
            ? Encoding.UTF8.GetString(s.GetBytesFromBase64())
            : fallback;

    /// <summary>A list-of-strings attribute (<c>list.s</c>).</summary>
    public IReadOnlyList<string> GetStrings(string name) =>
        _attributes.TryGetValue(name, out var value) && value.TryGetProperty("list", out var list)
        && list.TryGetProperty("s", out var items)
            ? [.. items.EnumerateArray().Select(i => Encoding.UTF8.GetString(i.GetBytesFromBase64()))]
            : [];

    /// <summary>An integer attribute (<c>i</c>, a string in the JSON), or <paramref name="fallback"/>.</summary>
    public long GetInt(string name, long fallback = 0) =>
        _attributes.TryGetValue(name, out var value) && value.TryGetProperty("i", out var i) ? ParseLong(i) : fallback;

    /// <summary>A list-of-integers attribute (<c>list.i</c>).</summary>
    public IReadOnlyList<long> GetInts(string name) =>
        _attributes.TryGetValue(name, out var value) && value.TryGetProperty("list", out var list)
        && list.TryGetProperty("i", out var items)
            ? [.. items.EnumerateArray().Select(ParseLong)]
            : [];

    /// <summary>A float attribute (<c>f</c>), or <paramref name="fallback"/>.</summary>
    public float GetFloat(string name, float fallback = 0f) =>
        _attributes.TryGetValue(name, out var value) && value.TryGetProperty("f", out var f)
            ? f.ValueKind == JsonValueKind.String ? ParseFloat(f.GetString()!) : f.GetSingle()
            : fallback;

    /// <summary>A boolean attribute (<c>b</c>), or <paramref name="fallback"/>.</summary>
    public bool GetBool(string name, bool fallback = false) =>
        _attributes.TryGetValue(name, out var value) && value.TryGetProperty("b", out var b) ? b.GetBoolean() : fallback;

    /// <summary>A type attribute (<c>type</c>, e.g. <c>DT_FLOAT</c>), or <paramref name="fallback"/>.</summary>
    public string GetType(string name, string fallback = "DT_FLOAT") =>
        _attributes.TryGetValue(name, out var value) && value.TryGetProperty("type", out var t) ? t.GetString()! : fallback;

    /// <summary>The <c>shape</c> attribute of a Placeholder: dims, with -1 for unknown.</summary>
    public IReadOnlyList<long>? GetShape(string name)
    {
        if (!_attributes.TryGetValue(name, out var value) || !value.TryGetProperty("shape", out var shape))
        {
            return null;
        }

        return shape.TryGetProperty("dim", out var dims)
            ? [.. dims.EnumerateArray().Select(d => d.TryGetProperty("size", out var size) ? ParseLong(size) : -1L)]
            : [];
    }

    /// <inheritdoc />
    public override string ToString() => $"{Op} '{Name}'";

    private static long ParseLong(JsonElement element) =>
        element.ValueKind == JsonValueKind.String
            ? long.Parse(element.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : element.GetInt64();

    private static float ParseFloat(string text) => text switch
    {
        "NaN" => float.NaN,
        "Infinity" => float.PositiveInfinity,
        "-Infinity" => float.NegativeInfinity,
        _ => float.Parse(text, System.Globalization.CultureInfo.InvariantCulture),
    };
}
