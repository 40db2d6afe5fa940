using System.Text.Json.Nodes;
using FacePlatform.ModelImport.TensorFlowJs;
using static FacePlatform.ModelImport.FaceApi.TfGraphWriter;

namespace FacePlatform.ModelImport.FaceApi;

/// <summary>
/// The layers face-api's nets are made of, written as TF ops into a <see cref="TfGraphWriter"/> from a weights-only
/// model's decoded weights (<see cref="Load"/>: the package's <c>*-weights_manifest.json</c> and shards, dequantised by
/// <see cref="WeightDecoder"/>). Per-channel affine steps that follow a convolution (face-api's scale layers, batch
/// norm) are folded into its filter and bias here; the converter does the rest.
/// </summary>
internal sealed class FaceApiGraph
{
    private readonly IReadOnlyDictionary<string, TfTensor> _weights;
    private readonly TfGraphWriter _writer = new();
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private int _next;

    public FaceApiGraph(IReadOnlyDictionary<string, TfTensor> weights)
    {
        _weights = weights;
    }

    /// <summary>Reads and dequantises a weights-only model (<c>NAME-weights_manifest.json</c> and the shards it names).</summary>
    public static IReadOnlyDictionary<string, TfTensor> Load(string manifestPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(manifestPath)) ?? ".";
        var manifest = JsonNode.Parse(File.ReadAllBytes(manifestPath))?.AsArray()
            ?? throw new InvalidDataException($"{manifestPath} is not a weights manifest.");
        var specs = new List<WeightSpec>();
        var data = new MemoryStream();
        foreach (var group in manifest)
        {
            foreach (var path in group!["paths"]!.AsArray())
            {
                data.Write(File.ReadAllBytes(Path.Combine(directory, path!.GetValue<string>())));
            }

            using var weights = System.Text.Json.JsonDocument.Parse(group["weights"]!.ToJsonString());
            specs.AddRange(weights.RootElement.EnumerateArray().Select(WeightSpec.FromJson));
        }

        return WeightDecoder.Decode(specs, data.ToArray());
    }

    /// <summary>Weights of the model that no layer used (a wrong layer name would leave some behind).</summary>
    public IEnumerable<string> Unused => _weights.Keys.Where(k => !_used.Contains(k));

    public TfTensor Tensor(string name)
    {
        if (!_weights.TryGetValue(name, out var tensor) || tensor.Floats is null)
        {
            throw new InvalidDataException($"The weights manifest has no float weight '{name}'.");
        }

        _used.Add(name);
        return tensor;
    }

    public float[] Floats(string name) => Tensor(name).Floats!;

    /// <summary>Marks weights the graph does not need (face-api's own loaders ignore them too).</summary>
    public void Ignore(params string[] names)
    {
        foreach (var name in names)
        {
            _used.Add(name);
        }
    }

    public string Input(long size) => _writer.Input("input", size, size, 3);

    public string Constant(string hint, IReadOnlyList<long> shape, float[] values) => _writer.Constant(Name(hint), shape, values);

    public string Scalar(string hint, float value) => Constant(hint, [], [value]);

    /// <summary>face-api's <c>normalize(x, meanRgb).div(divisor)</c> on 0..255 pixels.</summary>
    public string SubtractMeanAndDivide(string x, float[] meanRgb, float divisor)
    {
        var centred = Op("Sub", "normalise/sub", x, Constant("normalise/mean", [3], meanRgb));
        return Op("RealDiv", "normalise/div", centred, Scalar("normalise/divisor", divisor));
    }

    /// <summary>A 2-D convolution with bias and an optional activation (<c>Relu</c>, <c>Relu6</c>), one TF node.</summary>
    public string Conv(string name, string x, TfTensor filter, float[] bias, int stride, string padding, string? activation = null)
    {
        var w = Constant(name + "/filter", filter.Shape, filter.Floats!);
        var b = Constant(name + "/bias", [bias.Length], bias);
        return Fused("_FusedConv2D", name, [x, w, b], stride, padding, activation);
    }

    /// <summary>A depthwise convolution (multiplier 1) without bias.</summary>
    public string Depthwise(string name, string x, TfTensor filter, int stride, string padding) =>
        _writer.Node(Name(name), "DepthwiseConv2dNative", [x, Constant(name + "/filter", filter.Shape, filter.Floats!)], ConvAttributes(stride, padding));

    /// <summary>A depthwise convolution with bias and an optional activation.</summary>
    public string DepthwiseBias(string name, string x, TfTensor filter, float[] bias, int stride, string padding, string? activation = null)
    {
        var w = Constant(name + "/filter", filter.Shape, filter.Floats!);
        var b = Constant(name + "/bias", [bias.Length], bias);
        return Fused("FusedDepthwiseConv2dNative", name, [x, w, b], stride, padding, activation);
    }

    /// <summary>
    /// <c>tf.separableConv2d(x, depthwise_filter, pointwise_filter, stride, padding)</c> plus <c>bias</c>: the depthwise
    /// step takes the stride and padding, the 1×1 pointwise step neither.
    /// </summary>
    public string Separable(string prefix, string x, int stride, string padding, string? activation = null)
    {
        var depthwise = Depthwise(prefix + "/depthwise", x, Tensor(prefix + "/depthwise_filter"), stride, padding);
        return Conv(prefix, depthwise, Tensor(prefix + "/pointwise_filter"), Floats(prefix + "/bias"), 1, "VALID", activation);
    }

    public string Op(string op, string hint, params string[] inputs) => _writer.Node(Name(hint), op, inputs, new() { ["T"] = FloatType });

    public string Relu(string x) => Op("Relu", "relu", x);

    public string Add(string a, string b) => Op("AddV2", "add", a, b);

    public string LeakyRelu(string x, float alpha) =>
        _writer.Node(Name("leaky"), "LeakyRelu", [x], new() { ["T"] = FloatType, ["alpha"] = F(alpha) });

    public string Pool(string op, string x, int kernel, int stride, string padding) => _writer.Node(Name(op), op, [x], new()
    {
        ["T"] = FloatType,
        ["ksize"] = IntList(1, kernel, kernel, 1),
        ["strides"] = IntList(1, stride, stride, 1),
        ["padding"] = S(padding),
        ["data_format"] = S("NHWC"),
    });

    /// <summary>Zero padding, <paramref name="paddings"/> as [before, after] per NHWC axis.</summary>
    public string Pad(string x, params int[] paddings) =>
        _writer.Node(Name("pad"), "Pad", [x, _writer.Ints(Name("pad/paddings"), [4, 2], paddings)], new() { ["T"] = FloatType });

    public string Mean(string x, params int[] axes) =>
        _writer.Node(Name("mean"), "Mean", [x, _writer.IntVector(Name("mean/axes"), axes)], new() { ["T"] = FloatType, ["keep_dims"] = B(false) });

    public string Reshape(string x, params int[] shape) =>
        _writer.Node(Name("reshape"), "Reshape", [x, _writer.IntVector(Name("reshape/shape"), shape)], new() { ["T"] = FloatType });

    public string Concat(int axis, params string[] parts) =>
        _writer.Node(Name("concat"), "ConcatV2", [.. parts, _writer.Ints(Name("concat/axis"), [], axis)], new() { ["T"] = FloatType, ["N"] = new JsonObject { ["i"] = parts.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) } });

    /// <summary><c>x[..., begin:end]</c> on the last axis of a rank-<paramref name="rank"/> tensor; <paramref name="shrink"/> drops that axis.</summary>
    public string SliceLast(string x, int rank, int begin, int end, bool shrink = false)
    {
        var starts = new int[rank];
        var ends = new int[rank];
        starts[^1] = begin;
        ends[^1] = end;
        var mask = (1 << (rank - 1)) - 1;
        return _writer.Node(Name("slice"), "StridedSlice", [x, _writer.IntVector(Name("slice/begin"), starts), _writer.IntVector(Name("slice/end"), ends), _writer.IntVector(Name("slice/strides"), [.. Enumerable.Repeat(1, rank)])], new()
        {
            ["T"] = FloatType,
            ["begin_mask"] = new JsonObject { ["i"] = mask.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["end_mask"] = new JsonObject { ["i"] = mask.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["shrink_axis_mask"] = new JsonObject { ["i"] = (shrink ? 1 << (rank - 1) : 0).ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
    }

    /// <summary>A dense layer: <c>x · weights + bias</c> (face-api's <c>fullyConnectedLayer</c>), or no bias.</summary>
    public string Dense(string prefix, string x, string weights, string? bias)
    {
        var w = Tensor(weights);
        var inputs = new List<string> { x, Constant(prefix + "/weights", w.Shape, w.Floats!) };
        var attributes = new Dictionary<string, JsonNode> { ["T"] = FloatType, ["transpose_a"] = B(false), ["transpose_b"] = B(false) };
        if (bias is null)
        {
            return _writer.Node(Name(prefix), "MatMul", inputs, attributes);
        }

        var b = Floats(bias);
        inputs.Add(Constant(prefix + "/bias", [b.Length], b));
        attributes["fused_ops"] = StringList("BiasAdd");
        attributes["num_args"] = new JsonObject { ["i"] = "1" };
        return _writer.Node(Name(prefix), "_FusedMatMul", inputs, attributes);
    }

    /// <summary>Names the tensor <paramref name="x"/> as an output (an Identity node called <paramref name="name"/>).</summary>
    public string Output(string name, string x) => _writer.Node(name, "Identity", [x], new() { ["T"] = FloatType });

    public TfjsGraphModel Build(string generatedBy)
    {
        if (Unused.FirstOrDefault() is { } unused)
        {
            throw new InvalidDataException($"The architecture left weight '{unused}' unused: its layers do not match the weights manifest.");
        }

        return _writer.Build(generatedBy, "FacePlatform.ModelImport (architecture from @vladmandic/face-api's source)");
    }

    /// <summary>Filter × per-output-channel scale (HWIO: the output channel is the last axis).</summary>
    public static TfTensor ScaleFilter(TfTensor filter, float[] scale)
    {
        var values = filter.Floats!.ToArray();
        var channels = scale.Length;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= scale[i % channels];
        }

        return new TfTensor(filter.Shape, values);
    }

    /// <summary>A depthwise filter [kh, kw, C, 1] × per-channel scale (the channel is the third axis).</summary>
    public static TfTensor ScaleDepthwiseFilter(TfTensor filter, float[] scale) =>
        filter.Shape[3] == 1 ? ScaleFilter(filter, scale) : throw new InvalidDataException("Only depthwise filters with multiplier 1 are folded.");

    private static JsonNode FloatType => new JsonObject { ["type"] = "DT_FLOAT" };

    private static Dictionary<string, JsonNode> ConvAttributes(int stride, string padding) => new()
    {
        ["T"] = FloatType,
        ["strides"] = IntList(1, stride, stride, 1),
        ["padding"] = S(padding),
        ["data_format"] = S("NHWC"),
        ["dilations"] = IntList(1, 1, 1, 1),
    };

    private string Fused(string op, string name, string[] inputs, int stride, string padding, string? activation)
    {
        var attributes = ConvAttributes(stride, padding);
        attributes["fused_ops"] = activation is null ? StringList("BiasAdd") : StringList("BiasAdd", activation);
        attributes["num_args"] = new JsonObject { ["i"] = "1" };
        return _writer.Node(Name(name), op, inputs, attributes);
    }

    private string Name(string hint) => $"{hint}_{_next++}";
}
