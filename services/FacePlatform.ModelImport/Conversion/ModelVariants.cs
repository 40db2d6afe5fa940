using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace FacePlatform.ModelImport.Conversion;

/// <summary>
/// Writes reduced-precision variants of a converted float model, our own way (ONNX Runtime's Python quantiser is not
/// reachable here). Each variant is a separate model id: its embeddings are not the float model's, and a gallery is
/// bound to the model id that made its vectors.
/// </summary>
public static class ModelVariants
{
    /// <summary>The method name recorded for <see cref="Int8Static"/> in the manifest.</summary>
    public const string Int8Method = "int8-qdq-static: per-output-channel symmetric int8 weights, int32 biases, uint8 activations on tensors of known range (Clip outputs), QuantizeLinear/DequantizeLinear pairs that ONNX Runtime fuses into QLinearConv";

    /// <summary>The method name recorded for <see cref="Float16"/> in the manifest.</summary>
    public const string Float16Method = "fp16: every float initializer stored as float16, Cast to float16 after the input and back to float before each output";

    /// <summary>
    /// Static int8 quantisation without calibration data: every tensor whose range the graph itself bounds (the output
    /// of a <c>Clip(min ≥ 0, max)</c>, and zero-padding, max-pooling or reshaping of such a tensor) gets a
    /// QuantizeLinear → DequantizeLinear pair (uint8, scale max/255, zero point 0), and every convolution whose data
    /// input is such a tensor gets per-output-channel symmetric int8 weights and an int32 bias behind
    /// DequantizeLinear. ONNX Runtime folds <c>Conv → Clip → Q</c> into one <c>QLinearConv</c> (the Clip is exact
    /// under the quantised range). Convolutions fed by anything else (the first, on the normalised photo) stay
    /// float. FaceRes is a chain of 27 <c>Conv → Clip(0, 6)</c>: 26 become QLinearConv.
    /// With <paramref name="activationRanges"/> (tensor → upper bound measured on real inputs, see
    /// <see cref="Catalogue.ModelCatalogue.ActivationRanges"/>), a Clip output's scale is bound/255 for the measured bound where it is below the
    /// Clip's own: values above it saturate (what a percentile bound trades for the finer steps of everything below).
    /// Measured ranges also quantise what the graph leaves unbounded (BlazeFace): <c>Relu</c> outputs ([0, bound]) and,
    /// with <paramref name="lowerBounds"/>, the signed tensors of <see cref="SignedActivations"/> (scale (high − low)/255,
    /// zero point −low/scale); a residual <c>Add</c> then reads both inputs dequantised and ONNX Runtime makes it a
    /// <c>QLinearAdd</c> with the ReLU folded into its output's QuantizeLinear.
    /// </summary>
    /// <returns>The variant and how many convolutions were quantised.</returns>
    /// <param name="model">The float model.</param>
    /// <param name="activationRanges">Measured upper bounds (tensor → bound); also the only source of ranges for
    /// <c>Relu</c> outputs and for convolution outputs (see <see cref="QuantisedActivations"/>), which the graph leaves unbounded.</param>
    /// <param name="lowerBounds">Measured lower bounds of the signed tensors among them (convolution outputs read by a
    /// convolution or a residual <c>Add</c>, BlazeFace); those get an asymmetric uint8 range with a zero point.</param>
    public static (ModelProto Model, int QuantisedConvolutions) Int8Static(
        ModelProto model, IReadOnlyDictionary<string, float>? activationRanges = null, IReadOnlyDictionary<string, float>? lowerBounds = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = model.Clone();
        var graph = result.Graph;
        FoldChannelAffine(graph);
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var names = new HashSet<string>(graph.Node.SelectMany(n => n.Output).Concat(initializers.Keys).Concat(graph.Input.Select(i => i.Name)), StringComparer.Ordinal);
        string Unique(string hint)
        {
            var name = hint;
            for (var i = 1; !names.Add(name); i++)
            {
                name = $"{hint}_{i}";
            }

            return name;
        }

        // Known ranges of tensors, in graph order (the converter writes nodes topologically).
        var bound = new Dictionary<string, (float Low, float High)>(StringComparer.Ordinal);
        var signed = SignedActivations(graph, initializers);
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Clip" && node.Input.Count == 3 && ScalarOf(initializers, node.Input[1]) is { } low && low >= 0
                && ScalarOf(initializers, node.Input[2]) is { } high && high > 0)
            {
                bound[node.Output[0]] = (0, activationRanges is not null && activationRanges.TryGetValue(node.Output[0], out var measured) && measured > 0
                    ? Math.Min(measured, high)
                    : high);
            }
            else if (node.OpType == "Relu" && activationRanges is not null && activationRanges.TryGetValue(node.Output[0], out var reluHigh) && reluHigh > 0)
            {
                bound[node.Output[0]] = (0, reluHigh);
            }
            else if (signed.Contains(node.Output[0]) && activationRanges is not null && lowerBounds is not null
                && activationRanges.TryGetValue(node.Output[0], out var convHigh) && lowerBounds.TryGetValue(node.Output[0], out var convLow))
            {
                // Zero must be exact (the convolutions' zero padding): the range always spans it.
                bound[node.Output[0]] = (Math.Min(convLow, 0), Math.Max(convHigh, 0));
            }
            else if (node.OpType is "MaxPool" or "Reshape" or "Transpose" or "Flatten" or "Squeeze" or "Unsqueeze" && bound.TryGetValue(node.Input[0], out var passed))
            {
                bound[node.Output[0]] = passed;
            }
            else if (node.OpType == "Pad" && bound.TryGetValue(node.Input[0], out var padded) && IsZeroPad(node, initializers))
            {
                bound[node.Output[0]] = padded;
            }
        }

        var nodes = new List<NodeProto>(graph.Node.Count * 2);
        var dequantised = new Dictionary<string, (string Name, float Scale)>(StringComparer.Ordinal);
        var quantised = 0;
        (string Name, float Scale) Dequantised(string tensor, (float Low, float High) range)
        {
            if (!dequantised.TryGetValue(tensor, out var value))
            {
                var scale = (range.High - range.Low) / 255f;
                var zeroPoint = (byte)Math.Clamp(MathF.Round(-range.Low / scale), 0, 255);
                var scaleName = AddFloats(graph, names, Unique(tensor + "/q_scale"), [], [scale]);
                var zeroName = Unique(tensor + "/q_zero");
                graph.Initializer.Add(new TensorProto { Name = zeroName, DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom([zeroPoint]) });
                var q = Unique(tensor + "/q");
                var dq = Unique(tensor + "/dq");
                nodes.Add(NodeOf("QuantizeLinear", q, [tensor, scaleName, zeroName]));
                nodes.Add(NodeOf("DequantizeLinear", dq, [q, scaleName, zeroName]));
                value = (dq, scale);
                dequantised[tensor] = value;
            }

            return value;
        }

        foreach (var node in graph.Node)
        {
            // Inputs of known range are read through their quantised copy: the next Conv, Pad or MaxPool joins the int8
            // chain, and so does a residual Add (ONNX Runtime: DQ, DQ → Add → Relu → Q becomes QLinearAdd).
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (((node.OpType is "Conv" or "Pad" or "MaxPool" && i == 0) || node.OpType == "Add") && bound.TryGetValue(node.Input[i], out var range))
                {
                    var (dq, scale) = Dequantised(node.Input[i], range);
                    node.Input[i] = dq;
                    if (node.OpType == "Conv" && QuantiseConvolution(node, scale, initializers, graph, names, Unique, nodes))
                    {
                        quantised++;
                    }
                }
            }

            nodes.Add(node);
            if (node.OpType is "Clip" or "Relu" or "Conv" && bound.TryGetValue(node.Output[0], out var produced))
            {
                Dequantised(node.Output[0], produced);
            }
        }

        // Every other reader of a quantised tensor (FaceRes: the global mean pool after the last convolution) reads the
        // dequantised copy too, so the Q is the Clip's only consumer and ONNX Runtime can fold that convolution as well.
        foreach (var node in nodes.Where(n => n.OpType != "QuantizeLinear"))
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (dequantised.TryGetValue(node.Input[i], out var copy))
                {
                    node.Input[i] = copy.Name;
                }
            }
        }

        // Drop the float weights that are now read through DequantizeLinear.
        var used = new HashSet<string>(nodes.SelectMany(n => n.Input), StringComparer.Ordinal);
        var keep = graph.Initializer.Where(t => used.Contains(t.Name) || graph.Output.Any(o => o.Name == t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(keep);
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        graph.ValueInfo.Clear();
        return (result, quantised);
    }

    /// <summary>
    /// The activations whose range <see cref="Int8Static"/> quantises: outputs of a <c>Clip(min ≥ 0, max)</c> or a
    /// <c>Relu</c> that a convolution, pad, pool or Add reads (FaceRes's age-head ReLU before a MatMul stays float; the
    /// pads, pools and reshapes behind them inherit their range), and the signed outputs of
    /// convolutions that only a convolution or a residual <c>Add</c> reads (BlazeFace's depthwise → pointwise → Add;
    /// <see cref="SignedActivations"/>). These are what activation calibration measures.
    /// </summary>
    public static IReadOnlyList<string> QuantisedActivations(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var signed = SignedActivations(model.Graph, initializers);
        var consumers = model.Graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n))).ToLookup(p => p.Input, p => p.Node, StringComparer.Ordinal);
        return
        [
            .. model.Graph.Node
                .Where(n => (n.OpType == "Clip" && n.Input.Count == 3 && ScalarOf(initializers, n.Input[1]) is >= 0 && ScalarOf(initializers, n.Input[2]) is > 0)
                    || (n.OpType == "Relu" && consumers[n.Output[0]].Any(c => c.OpType is "Conv" or "Add" or "MaxPool" or "Pad"))
                    || signed.Contains(n.Output[0]))
                .Select(n => n.Output[0]),
        ];
    }

    /// <summary>
    /// Convolution outputs with no bound of their own that stay in the int8 chain: every reader is a convolution or an
    /// <c>Add</c> of two computed tensors (a residual), none is a graph output. ONNX Runtime only makes a QLinearConv of
    /// a convolution whose output is quantised; a convolution followed by a Clip or Relu is quantised behind that instead.
    /// Also the input's NHWC → NCHW transpose when only convolutions read it: with the first convolution quantised the
    /// whole chain runs in ONNX Runtime's NHWC int8 layout (left float, BlazeFace kept a Transpose pair around every
    /// residual Add: 1.9× slower than float instead of 1.2×, docs/benchmarks.md).
    /// </summary>
    public static IReadOnlySet<string> SignedActivations(GraphProto graph, IReadOnlyDictionary<string, TensorProto> initializers)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(initializers);
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n))).ToLookup(p => p.Input, p => p.Node, StringComparer.Ordinal);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return graph.Node
            .Where(n => !outputs.Contains(n.Output[0]) && consumers[n.Output[0]].Any()
                && ((n.OpType == "Conv"
                        && consumers[n.Output[0]].All(c => c.OpType == "Conv" || (c.OpType == "Add" && c.Input.Count == 2 && c.Input.All(i => !initializers.ContainsKey(i)))))
                    || (n.OpType == "Transpose" && inputs.Contains(n.Input[0]) && consumers[n.Output[0]].All(c => c.OpType == "Conv"))))
            .Select(n => n.Output[0])
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A copy of <paramref name="model"/> that also outputs <paramref name="tensors"/> (float), for calibration runs.</summary>
    public static ModelProto WithOutputs(ModelProto model, IEnumerable<string> tensors)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        var result = model.Clone();
        foreach (var tensor in tensors.Where(t => result.Graph.Output.All(o => o.Name != t)))
        {
            result.Graph.Output.Add(new ValueInfoProto
            {
                Name = tensor,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        return result;
    }

    /// <summary>
    /// Float16 storage and compute: every float initializer becomes float16, the float input is cast to float16 once,
    /// each output cast back to float, so callers feed and read float as before.
    /// </summary>
    public static ModelProto Float16(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = model.Clone();
        var graph = result.Graph;
        foreach (var tensor in graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float))
        {
            var floats = MemoryMarshal.Cast<byte, float>(tensor.RawData.Span);
            var halves = new Half[floats.Length];
            for (var i = 0; i < floats.Length; i++)
            {
                halves[i] = (Half)floats[i];
            }

            tensor.DataType = (int)TensorProto.Types.DataType.Float16;
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(halves.AsSpan()));
        }

        var nodes = new List<NodeProto>();
        foreach (var input in graph.Input.Where(i => graph.Initializer.All(t => t.Name != i.Name)))
        {
            var cast = input.Name + "/fp16";
            foreach (var consumer in graph.Node)
            {
                for (var i = 0; i < consumer.Input.Count; i++)
                {
                    if (consumer.Input[i] == input.Name)
                    {
                        consumer.Input[i] = cast;
                    }
                }
            }

            nodes.Add(CastNode(input.Name, cast, TensorProto.Types.DataType.Float16));
        }

        nodes.AddRange(graph.Node);
        foreach (var output in graph.Output)
        {
            var half = output.Name + "/fp16";
            foreach (var node in graph.Node)
            {
                for (var i = 0; i < node.Output.Count; i++)
                {
                    if (node.Output[i] == output.Name)
                    {
                        node.Output[i] = half;
                    }
                }

                for (var i = 0; i < node.Input.Count; i++)
                {
                    if (node.Input[i] == output.Name)
                    {
                        node.Input[i] = half;
                    }
                }
            }

            nodes.Add(CastNode(half, output.Name, TensorProto.Types.DataType.Float));
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        graph.ValueInfo.Clear();
        return result;
    }

    /// <summary>
    /// Folds a batch norm the converter left as <c>Conv → Mul(per-channel) → Add(per-channel)</c> (FaceRes: TF.js
    /// graphs keep the norm's multiply and add) into the convolution's weights and bias. ONNX Runtime folds them in
    /// float itself, but only after choosing which nodes to quantise, so a Conv followed by a Mul never met its
    /// QuantizeLinear and stayed float. Same arithmetic up to float rounding.
    /// </summary>
    private static void FoldChannelAffine(GraphProto graph)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n))).ToLookup(p => p.Input, p => p.Node, StringComparer.Ordinal);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var removed = new HashSet<NodeProto>();
        foreach (var conv in graph.Node.Where(n => n.OpType == "Conv").ToList())
        {
            if (conv.Input.Count < 2 || !initializers.TryGetValue(conv.Input[1], out var weight) || weight.DataType != (int)TensorProto.Types.DataType.Float)
            {
                continue;
            }

            var channels = (int)weight.Dims[0];
            var w = MemoryMarshal.Cast<byte, float>(weight.RawData.Span).ToArray();
            var bias = conv.Input.Count > 2 && initializers.TryGetValue(conv.Input[2], out var b) ? MemoryMarshal.Cast<byte, float>(b.RawData.Span).ToArray() : new float[channels];
            var changed = false;
            while (!outputs.Contains(conv.Output[0]) && consumers[conv.Output[0]].ToList() is [{ OpType: "Mul" or "Add" } next] && !removed.Contains(next)
                && next.Input.Count == 2 && next.Input[0] == conv.Output[0] && PerChannel(initializers, next.Input[1], channels) is { } values)
            {
                var perOutput = w.Length / channels;
                for (var c = 0; c < channels; c++)
                {
                    if (next.OpType == "Mul")
                    {
                        for (var i = 0; i < perOutput; i++)
                        {
                            w[(c * perOutput) + i] *= values[c];
                        }

                        bias[c] *= values[c];
                    }
                    else
                    {
                        bias[c] += values[c];
                    }
                }

                conv.Output[0] = next.Output[0];
                removed.Add(next);
                changed = true;
            }

            if (changed)
            {
                var folded = new TensorProto { Name = weight.Name + "/folded", DataType = weight.DataType, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(w.AsSpan())) };
                folded.Dims.AddRange(weight.Dims);
                var biasTensor = new TensorProto { Name = weight.Name + "/folded_bias", DataType = weight.DataType, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(bias.AsSpan())) };
                biasTensor.Dims.Add(channels);
                graph.Initializer.Add(folded);
                graph.Initializer.Add(biasTensor);
                conv.Input[1] = folded.Name;
                if (conv.Input.Count > 2)
                {
                    conv.Input[2] = biasTensor.Name;
                }
                else
                {
                    conv.Input.Add(biasTensor.Name);
                }
            }
        }

        var kept = graph.Node.Where(n => !removed.Contains(n)).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        var used = new HashSet<string>(kept.SelectMany(n => n.Input), StringComparer.Ordinal);
        var initializersKept = graph.Initializer.Where(t => used.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializersKept);
    }

    /// <summary>The values of a constant of shape [C], [1, C, 1, 1] or a scalar (broadcast to C), or null.</summary>
    private static float[]? PerChannel(Dictionary<string, TensorProto> initializers, string name, int channels)
    {
        if (!initializers.TryGetValue(name, out var t) || t.DataType != (int)TensorProto.Types.DataType.Float)
        {
            return null;
        }

        var values = MemoryMarshal.Cast<byte, float>(t.RawData.Span);
        if (values.Length == 1 && t.Dims.All(d => d == 1))
        {
            return Enumerable.Repeat(values[0], channels).ToArray();
        }

        var shapeOk = t.Dims.Count switch
        {
            1 => t.Dims[0] == channels,
            4 => t.Dims[0] == 1 && t.Dims[1] == channels && t.Dims[2] == 1 && t.Dims[3] == 1,
            _ => false,
        };
        return shapeOk && values.Length == channels ? values.ToArray() : null;
    }

    private static NodeProto CastNode(string input, string output, TensorProto.Types.DataType to)
    {
        var node = NodeOf("Cast", output, [input]);
        node.Name = output + "/cast";
        node.Attribute.Add(OnnxGraphBuilder.Int("to", (long)to));
        return node;
    }

    private static bool QuantiseConvolution(
        NodeProto conv, float inputScale, Dictionary<string, TensorProto> initializers, GraphProto graph, HashSet<string> names, Func<string, string> unique, List<NodeProto> nodes)
    {
        if (conv.Input.Count < 2 || !initializers.TryGetValue(conv.Input[1], out var weight) || weight.DataType != (int)TensorProto.Types.DataType.Float)
        {
            return false;
        }

        var w = MemoryMarshal.Cast<byte, float>(weight.RawData.Span);
        var outputs = (int)weight.Dims[0];
        var perOutput = w.Length / outputs;
        var scales = new float[outputs];
        var q = new sbyte[w.Length];
        for (var c = 0; c < outputs; c++)
        {
            var row = w.Slice(c * perOutput, perOutput);
            var maxAbs = 0f;
            foreach (var v in row)
            {
                maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
            }

            // Zero channels (the converter's channel-block padding) get scale 1: any positive scale holds zeros exactly.
            scales[c] = maxAbs > 0 ? maxAbs / 127f : 1f;
            for (var i = 0; i < perOutput; i++)
            {
                q[(c * perOutput) + i] = (sbyte)Math.Clamp(MathF.Round(row[i] / scales[c]), -127, 127);
            }
        }

        var weightQ = new TensorProto { Name = unique(weight.Name + "/int8"), DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(q.AsSpan())) };
        weightQ.Dims.AddRange(weight.Dims);
        graph.Initializer.Add(weightQ);
        var weightScale = AddFloats(graph, names, unique(weight.Name + "/scale"), [outputs], scales);
        var weightZero = new TensorProto { Name = unique(weight.Name + "/zero"), DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(new byte[outputs]) };
        weightZero.Dims.Add(outputs);
        graph.Initializer.Add(weightZero);
        var weightDq = unique(weight.Name + "/dq");
        var dqNode = NodeOf("DequantizeLinear", weightDq, [weightQ.Name, weightScale, weightZero.Name]);
        dqNode.Attribute.Add(OnnxGraphBuilder.Int("axis", 0));
        nodes.Add(dqNode);
        conv.Input[1] = weightDq;

        if (conv.Input.Count > 2 && initializers.TryGetValue(conv.Input[2], out var bias) && bias.DataType == (int)TensorProto.Types.DataType.Float)
        {
            // QLinearConv adds an int32 bias at the accumulator's scale (input scale × weight scale per channel).
            var b = MemoryMarshal.Cast<byte, float>(bias.RawData.Span);
            var biasScales = new float[outputs];
            var biasQ = new int[outputs];
            for (var c = 0; c < outputs; c++)
            {
                biasScales[c] = inputScale * scales[c];
                biasQ[c] = (int)Math.Clamp(Math.Round(b[c] / (double)biasScales[c]), int.MinValue, int.MaxValue);
            }

            var biasTensor = new TensorProto { Name = unique(bias.Name + "/int32"), DataType = (int)TensorProto.Types.DataType.Int32, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(biasQ.AsSpan())) };
            biasTensor.Dims.Add(outputs);
            graph.Initializer.Add(biasTensor);
            var biasScale = AddFloats(graph, names, unique(bias.Name + "/scale"), [outputs], biasScales);
            var biasZero = new TensorProto { Name = unique(bias.Name + "/zero"), DataType = (int)TensorProto.Types.DataType.Int32, RawData = ByteString.CopyFrom(new byte[outputs * 4]) };
            biasZero.Dims.Add(outputs);
            graph.Initializer.Add(biasZero);
            var biasDq = unique(bias.Name + "/dq");
            var biasNode = NodeOf("DequantizeLinear", biasDq, [biasTensor.Name, biasScale, biasZero.Name]);
            biasNode.Attribute.Add(OnnxGraphBuilder.Int("axis", 0));
            nodes.Add(biasNode);
            conv.Input[2] = biasDq;
        }

        return true;
    }

    private static string AddFloats(GraphProto graph, HashSet<string> names, string name, long[] dims, float[] values)
    {
        names.Add(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return name;
    }

    private static NodeProto NodeOf(string op, string output, IEnumerable<string> inputs)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static float? ScalarOf(Dictionary<string, TensorProto> initializers, string name) =>
        initializers.TryGetValue(name, out var t) && t.DataType == (int)TensorProto.Types.DataType.Float && t.RawData.Length == 4
            ? MemoryMarshal.Read<float>(t.RawData.Span)
            : null;

    private static bool IsZeroPad(NodeProto pad, Dictionary<string, TensorProto> initializers)
    {
        var mode = pad.Attribute.FirstOrDefault(a => a.Name == "mode")?.S.ToStringUtf8();
        if (mode is not (null or "" or "constant"))
        {
            return false;
        }

        return pad.Input.Count < 3 || string.IsNullOrEmpty(pad.Input[2]) || ScalarOf(initializers, pad.Input[2]) is 0f;
    }
}
