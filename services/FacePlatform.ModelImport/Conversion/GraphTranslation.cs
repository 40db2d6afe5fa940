using System.Globalization;
using FacePlatform.ModelImport.TensorFlowJs;
using Onnx;
using static FacePlatform.ModelImport.Conversion.OnnxGraphBuilder;

namespace FacePlatform.ModelImport.Conversion;

/// <summary>One conversion run: walks the TF graph from the requested outputs and emits ONNX nodes.</summary>
internal sealed class GraphTranslation
{
    /// <summary>NHWC axis → NCHW axis.</summary>
    private static readonly int[] NhwcToNchwAxis = [0, 2, 3, 1];

    private static readonly long[] ToNchw = [0, 3, 1, 2];
    private static readonly long[] ToNhwc = [0, 2, 3, 1];

    private static readonly Dictionary<string, string> BinaryOps = new(StringComparer.Ordinal)
    {
        ["Add"] = "Add", ["AddV2"] = "Add", ["BiasAdd"] = "Add", ["Sub"] = "Sub", ["Mul"] = "Mul",
        ["RealDiv"] = "Div", ["Div"] = "Div", ["Maximum"] = "Max", ["Minimum"] = "Min", ["Pow"] = "Pow",
    };

    private static readonly Dictionary<string, string> UnaryOps = new(StringComparer.Ordinal)
    {
        ["Relu"] = "Relu", ["Sigmoid"] = "Sigmoid", ["Tanh"] = "Tanh", ["Exp"] = "Exp", ["Log"] = "Log",
        ["Abs"] = "Abs", ["Neg"] = "Neg", ["Sqrt"] = "Sqrt", ["Reciprocal"] = "Reciprocal", ["Floor"] = "Floor",
        ["Ceil"] = "Ceil", ["Softplus"] = "Softplus", ["Elu"] = "Elu", ["Selu"] = "Selu",
    };

    private static readonly Dictionary<string, string> ReduceOps = new(StringComparer.Ordinal)
    {
        ["Mean"] = "ReduceMean", ["Sum"] = "ReduceSum", ["Max"] = "ReduceMax", ["Min"] = "ReduceMin", ["Prod"] = "ReduceProd",
    };

    private static readonly HashSet<string> OtherOps = new(StringComparer.Ordinal)
    {
        "Const", "Placeholder", "Identity", "StopGradient", "Snapshot", "Conv2D", "_FusedConv2D",
        "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative", "MatMul", "_FusedMatMul", "BatchMatMul",
        "BatchMatMulV2", "AddN", "SquaredDifference", "Relu6", "LeakyRelu", "Prelu", "Rsqrt", "Square", "Softmax",
        "LogSoftmax", "MaxPool", "AvgPool", "Pad", "PadV2", "Reshape", "Squeeze", "ExpandDims", "ConcatV2",
        "StridedSlice", "Transpose", "ResizeBilinear", "ResizeNearestNeighbor", "DepthToSpace", "SpaceToDepth",
        "Shape", "Pack", "Cast", "FusedBatchNorm", "FusedBatchNormV3",
    };

    private readonly TfjsGraphModel _graph;
    private readonly ConversionOptions _options;
    private readonly OnnxGraphBuilder _builder = new();
    private readonly Dictionary<string, TfNode> _nodes;
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private long _flops;

    // Floats written only for the blocked layout (zero channels, identity widenings): not the model's parameters.
    private long _layoutFloats;
    private TensorSignature? _input;

    public GraphTranslation(TfjsGraphModel graph, ConversionOptions options)
    {
        _graph = graph;
        _options = options;
        _nodes = graph.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
    }

    public static IReadOnlySet<string> SupportedOps { get; } =
        BinaryOps.Keys.Concat(UnaryOps.Keys).Concat(ReduceOps.Keys).Concat(OtherOps).ToHashSet(StringComparer.Ordinal);

    public ConversionResult Run()
    {
        // Refuse the whole graph up front, so an unsupported op is reported even where the walk would not reach it.
        foreach (var node in _graph.Nodes)
        {
            if (!SupportedOps.Contains(node.Op))
            {
                throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "the converter has no translation for it");
            }
        }

        _builder.Unique(_options.InputName);
        foreach (var output in _options.Outputs)
        {
            if (_builder.Unique(output.Name) != output.Name)
            {
                throw new ArgumentException($"Output name '{output.Name}' is used twice.", nameof(_options));
            }
        }

        var outputs = new List<TensorSignature>();
        foreach (var binding in _options.Outputs)
        {
            if (!_nodes.ContainsKey(binding.Source))
            {
                throw new ArgumentException($"The graph has no tensor '{binding.Source}' for output '{binding.Name}'.", nameof(_options));
            }

            var value = Get(binding.Source);
            var plain = Plain(value);
            _builder.Graph.Node.Add(new NodeProto { OpType = "Identity", Name = binding.Name, Input = { plain }, Output = { binding.Name } });
            _builder.Graph.Output.Add(ValueInfo(binding.Name, value.ElementType, value.Shape));
            outputs.Add(new TensorSignature(binding.Name, value.Shape));
        }

        if (_input is null)
        {
            throw new InvalidDataException("The requested outputs do not depend on the graph's input.");
        }

        _builder.Graph.Name = _options.InputName + "_graph";
        var model = new ModelProto
        {
            IrVersion = TfjsToOnnxConverter.IrVersion,
            ProducerName = "FacePlatform.ModelImport",
            ProducerVersion = typeof(GraphTranslation).Assembly.GetName().Version?.ToString() ?? "1.0.0",
            DocString = _options.DocString,
            Graph = _builder.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = TfjsToOnnxConverter.Opset });
        foreach (var (key, text) in _options.Metadata ?? new Dictionary<string, string>())
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = text });
        }

        return new ConversionResult(model, _input, outputs, _builder.FloatParameters - _layoutFloats, _flops);
    }

    private Value Get(string input)
    {
        var name = TfNode.NodeNameOf(input);
        var colon = input.LastIndexOf(':');
        if (colon > 0 && input[(colon + 1)..] != "0" && name != input)
        {
            throw new UnsupportedTensorFlowOpException(
                _nodes.TryGetValue(name, out var producer) ? producer.Op : "?", name, $"output {input[(colon + 1)..]} of a multi-output node is not supported");
        }

        if (_values.TryGetValue(name, out var value))
        {
            return value;
        }

        if (!_nodes.TryGetValue(name, out var node))
        {
            throw new InvalidDataException($"The graph references a missing node '{name}'.");
        }

        if (!_inProgress.Add(name))
        {
            throw new UnsupportedTensorFlowOpException(node.Op, name, "the graph has a cycle (control flow)");
        }

        value = Translate(node);
        _inProgress.Remove(name);
        _values[name] = value;
        return value;
    }

    private Value Input(TfNode node, int index) =>
        index < node.Inputs.Count
            ? Get(node.Inputs[index])
            : throw new InvalidDataException($"{node} needs input {index} but has {node.Inputs.Count}.");

    private Value Translate(TfNode node)
    {
        if (node.Op is "Minimum" or "Maximum" && Clamp(node) is { } clamped)
        {
            return clamped;
        }

        if (node.Op == "Prelu")
        {
            return Prelu(node, Input(node, 0), Input(node, 1), node.Name);
        }

        if (BinaryOps.TryGetValue(node.Op, out var binary))
        {
            return Elementwise(node, binary, [Input(node, 0), Input(node, 1)]);
        }

        if (UnaryOps.TryGetValue(node.Op, out var unary))
        {
            return Unary(node, unary, Input(node, 0));
        }

        if (ReduceOps.TryGetValue(node.Op, out var reduce))
        {
            return Reduce(node, reduce);
        }

        return node.Op switch
        {
            "Const" => Constant(node),
            "Placeholder" => Placeholder(node),
            "Identity" or "StopGradient" or "Snapshot" => Input(node, 0),
            "Conv2D" or "_FusedConv2D" => Convolution(node, depthwise: false),
            "DepthwiseConv2dNative" or "FusedDepthwiseConv2dNative" => Convolution(node, depthwise: true),
            "MatMul" or "_FusedMatMul" or "BatchMatMul" or "BatchMatMulV2" => MatrixProduct(node),
            "AddN" => Elementwise(node, "Sum", [.. node.Inputs.Select(Get)]),
            "SquaredDifference" => Square(node, Elementwise(node, "Sub", [Input(node, 0), Input(node, 1)], node.Name + "/diff")),
            "Square" => Square(node, Input(node, 0)),
            "Rsqrt" => Unary(node, "Reciprocal", Unary(node, "Sqrt", Input(node, 0), node.Name + "/sqrt")),
            "Relu6" or "LeakyRelu" => Activation(node, node.Op, Input(node, 0), null, node.Name),
            "Softmax" or "LogSoftmax" => Softmax(node),
            "MaxPool" or "AvgPool" => Pool(node),
            "Pad" or "PadV2" => Pad(node),
            "Reshape" => Reshape(node),
            "Squeeze" => Squeeze(node),
            "ExpandDims" => ExpandDims(node),
            "ConcatV2" => Concat(node),
            "StridedSlice" => StridedSlice(node),
            "Transpose" => Transpose(node),
            "ResizeBilinear" or "ResizeNearestNeighbor" => Resize(node),
            "DepthToSpace" or "SpaceToDepth" => DepthSpace(node),
            "Shape" => ShapeOf(node),
            "Pack" => Pack(node),
            "Cast" => Cast(node),
            "FusedBatchNorm" or "FusedBatchNormV3" => BatchNorm(node),
            _ => throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "the converter has no translation for it"),
        };
    }

    // ---- layout helpers -------------------------------------------------------------------------------------------

    /// <summary>The ONNX name of <paramref name="value"/> in TF's own layout.</summary>
    private string Plain(Value value)
    {
        if (value.Constant is { } constant)
        {
            return value.PlainName ??= Emit(value.Hint, constant.Shape, constant);
        }

        if (!value.Nchw)
        {
            return value.Onnx;
        }

        return value.PlainName ??= _builder.Node("Transpose", value.Hint + "/nhwc", [Logical(value)], Ints("perm", ToNhwc));
    }

    /// <summary>The ONNX name of a 4-D <paramref name="value"/> in NCHW.</summary>
    private string Nchw(Value value, TfNode user)
    {
        if (value.Rank != 4)
        {
            throw new UnsupportedTensorFlowOpException(user.Op, user.Name, $"expected a 4-D NHWC input, got rank {value.Rank}");
        }

        if (value.Nchw)
        {
            return Logical(value);
        }

        if (value.Constant is { } constant)
        {
            return value.NchwName ??= Emit(value.Hint + "/nchw", Permute(constant.Shape, ToNchw), TransposeData(constant, ToNchw));
        }

        return value.NchwName ??= _builder.Node("Transpose", value.Hint + "/nchw", [Plain(value)], Ints("perm", ToNchw));
    }

    /// <summary>
    /// An operand of an element-wise op computed in NCHW: a constant is right-aligned to rank 4 (NumPy broadcasting,
    /// as TF does) and permuted; returns null when the operand cannot take part (a non-constant of rank below 4).
    /// </summary>
    private string? BroadcastOperand(Value value, TfNode user)
    {
        if (value.Nchw)
        {
            return Logical(value);
        }

        if (value.Constant is { } constant)
        {
            if (constant.Length == 1)
            {
                return Plain(value);
            }

            if (constant.Shape.Count > 4)
            {
                return null;
            }

            if (value.NchwName is null)
            {
                var shape4 = Enumerable.Repeat(1L, 4 - constant.Shape.Count).Concat(constant.Shape).ToArray();
                var reshaped = constant.IsInteger ? new TfTensor(shape4, constant.Ints!) : new TfTensor(shape4, constant.Floats!);
                value.NchwName = Emit(value.Hint + "/nchw", Permute(shape4, ToNchw), TransposeData(reshaped, ToNchw));
            }

            return value.NchwName;
        }

        return value.Rank == 4 ? Nchw(value, user) : null;
    }

    /// <summary>
    /// The ONNX name of an NCHW <paramref name="value"/> holding only its own channels: a Slice when zero channels were
    /// appended to it (<see cref="Value.StoredChannels"/>), once per value.
    /// </summary>
    private string Logical(Value value)
    {
        if (value.StoredChannels == 0)
        {
            return value.Onnx;
        }

        return value.LogicalName ??= _builder.Node(
            "Slice",
            value.Hint + "/channels",
            [
                value.Onnx,
                _builder.LongVector(value.Hint + "/channels_start", 0),
                _builder.LongVector(value.Hint + "/channels_end", value.Shape[3]),
                _builder.LongVector(value.Hint + "/channels_axis", 1),
            ]);
    }

    /// <summary>
    /// The channels a convolution producing <paramref name="channels"/> stores: rounded up to
    /// <see cref="ConversionOptions.ChannelBlock"/> when it is not a multiple and is wider than a block (narrow heads stay
    /// as they are), else 0 (as many as it has).
    /// </summary>
    private long StoredChannelsFor(long channels)
    {
        var block = _options.ChannelBlock;
        if (block <= 1 || channels <= block || channels % block == 0)
        {
            return 0;
        }

        return (channels + block - 1) / block * block;
    }

    /// <summary>Channels <paramref name="value"/>'s ONNX tensor holds (NCHW axis 1).</summary>
    private static long StoredOf(Value value) => value.StoredChannels > 0 ? value.StoredChannels : value.Shape[3];

    /// <summary><paramref name="values"/> (one per channel) followed by zeros up to <paramref name="stored"/>.</summary>
    private static float[] ZeroPadded(float[] values, long stored)
    {
        var padded = new float[stored];
        values.CopyTo(padded, 0);
        return padded;
    }

    private string Emit(string hint, IReadOnlyList<long> shape, TfTensor tensor) =>
        tensor.IsInteger ? _builder.Longs(hint, shape, tensor.Ints!) : _builder.Floats(hint, shape, tensor.Floats!);

    // ---- sources --------------------------------------------------------------------------------------------------

    private Value Constant(TfNode node)
    {
        if (!_graph.Weights.TryGetValue(node.Name, out var tensor))
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "the constant has no entry in the weights manifest");
        }

        return new Value
        {
            Hint = node.Name,
            Shape = [.. tensor.Shape],
            Constant = tensor,
            IsInteger = tensor.IsInteger,
            IntContents = tensor.IsInteger && tensor.Shape.Count <= 1 ? [.. tensor.Ints!.Select(v => (long?)v)] : null,
        };
    }

    private Value Placeholder(TfNode node)
    {
        if (_input is not null)
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "graphs with more than one input are not supported");
        }

        if (node.GetType("dtype") != "DT_FLOAT")
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"input dtype {node.GetType("dtype")} is not float32");
        }

        var shape = node.GetShape("shape")?.ToArray()
            ?? throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "the input has no static shape");
        if (shape.Length == 0 || shape.Skip(1).Any(d => d < 0))
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "only inputs with fixed sizes after the batch dimension are supported");
        }

        // The batch dimension is always dynamic, even where the TF graph pins it to 1 (blazeface).
        shape[0] = -1;
        _input = new TensorSignature(_options.InputName, shape);
        _builder.Graph.Input.Add(ValueInfo(_options.InputName, TensorProto.Types.DataType.Float, shape));
        return new Value { Hint = node.Name, Onnx = _options.InputName, Shape = shape };
    }

    // ---- element-wise ---------------------------------------------------------------------------------------------

    private Value Elementwise(TfNode node, string op, IReadOnlyList<Value> inputs, string? hint = null)
    {
        if (PaddedElementwise(node, op, inputs, hint) is { } padded)
        {
            return padded;
        }

        var shape = inputs.Select(i => i.Shape).Aggregate((a, b) => Broadcast(a, b, node));
        List<string>? names = null;
        var nchw = shape.Length == 4 && inputs.Any(i => i.Nchw);
        if (nchw)
        {
            var operands = inputs.Select(i => BroadcastOperand(i, node)).ToList();
            if (operands.All(o => o is not null))
            {
                names = operands!;
            }
            else
            {
                nchw = false;
            }
        }

        names ??= [.. inputs.Select(Plain)];
        var output = _builder.Node(op, hint ?? node.Name, names);
        return new Value { Hint = hint ?? node.Name, Onnx = output, Nchw = nchw, Shape = shape, IsInteger = inputs[0].IsInteger };
    }

    /// <summary>
    /// An element-wise op on NCHW tensors with appended zero channels, keeping them (and their zeros): every
    /// non-constant input stores the same channels, and constants are per channel (padded with zeros) or, for ops other
    /// than Mul, a scalar zero — so the appended channels stay exactly zero. Null: not such a case.
    /// </summary>
    private Value? PaddedElementwise(TfNode node, string op, IReadOnlyList<Value> inputs, string? hint)
    {
        var stored = inputs.FirstOrDefault(i => i.StoredChannels > 0)?.StoredChannels ?? 0;
        if (stored == 0 || op is not ("Add" or "Sub" or "Mul" or "Max" or "Min"))
        {
            return null;
        }

        var channels = inputs.First(i => i.StoredChannels > 0).Shape[3];
        var names = new List<string>(inputs.Count);
        foreach (var value in inputs)
        {
            if (value.Constant is { IsInteger: false } constant)
            {
                if (constant.Length == 1 && (op == "Mul" || constant.Floats![0] == 0f))
                {
                    names.Add(Plain(value));
                }
                else if (constant.Length == channels && constant.Shape.Count >= 1 && constant.Shape[^1] == channels && constant.Shape.Take(constant.Shape.Count - 1).All(d => d == 1))
                {
                    names.Add(_builder.Floats(value.Hint + "/stored", [1, stored, 1, 1], ZeroPadded(constant.Floats!, stored)));
                }
                else
                {
                    return null;
                }
            }
            else if (value.Nchw && value.StoredChannels == stored && value.Shape.SequenceEqual(inputs.First(i => i.StoredChannels > 0).Shape))
            {
                names.Add(value.Onnx);
            }
            else
            {
                return null;
            }
        }

        var name = hint ?? node.Name;
        var template = inputs.First(i => i.StoredChannels > 0);
        return new Value { Hint = name, Onnx = _builder.Node(op, name, names), Nchw = true, Shape = template.Shape, StoredChannels = stored };
    }

    private Value Unary(TfNode node, string op, Value input, string? hint = null, params AttributeProto[] attributes)
    {
        var keepsZero = op is "Relu" or "Neg" or "Abs" or "Tanh" or "LeakyRelu" or "Elu";
        return PerElement(input, op, hint ?? node.Name, [], keepsZero, nonNegative: false, attributes);
    }

    /// <summary>
    /// A one-input element-wise op (plus constant <paramref name="operands"/>) in the input's layout. Ops that map 0 to 0
    /// (<paramref name="keepsZero"/>) keep appended zero channels; the others see the value's own channels only.
    /// </summary>
    private Value PerElement(Value input, string op, string hint, IEnumerable<string> operands, bool keepsZero, bool nonNegative, params AttributeProto[] attributes)
    {
        var source = input.Nchw ? keepsZero ? input.Onnx : Logical(input) : Plain(input);
        return input with
        {
            Hint = hint,
            Onnx = _builder.Node(op, hint, [source, .. operands], attributes),
            Constant = null,
            PlainName = null,
            NchwName = null,
            LogicalName = null,
            IntContents = null,
            NonNegative = nonNegative,
            StoredChannels = input.Nchw && keepsZero ? input.StoredChannels : 0,
        };
    }

    private Value Square(TfNode node, Value input) => Elementwise(node, "Mul", [input, input]);

    /// <summary>A fused or stand-alone activation; <paramref name="alpha"/> is the Prelu slope.</summary>
    private Value Activation(TfNode node, string activation, Value input, Value? alpha, string hint) => activation switch
    {
        "Relu" => Unary(node, "Relu", input, hint),
        "Relu6" => ClipRelu6(node, input, hint),
        "Elu" => Unary(node, "Elu", input, hint),
        "Sigmoid" => Unary(node, "Sigmoid", input, hint),
        "Tanh" => Unary(node, "Tanh", input, hint),
        "LeakyRelu" => Unary(
            node,
            "LeakyRelu",
            input,
            hint,
            Float("alpha", node.Has("leakyrelu_alpha") ? node.GetFloat("leakyrelu_alpha") : node.GetFloat("alpha", 0.2f))),
        "Prelu" when alpha is not null => Prelu(node, input, alpha, hint),
        _ => throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"fused activation '{activation}' is not supported"),
    };

    /// <summary>
    /// PReLU, written with element-wise ops that give the same values bit for bit, because ONNX Runtime's PRelu kernel
    /// costs ~5 ns per element on this CPU against ~0.35 for Mul + Max (FaceMesh: 28 of them, 2.8 of its 4.7 ms at
    /// batch 1, docs/benchmarks.md). Constant slopes all ≤ 1: <c>Max(x, a·x)</c> (x when x ≥ a·x, that is x ≥ 0; a·x,
    /// the product PRelu computes, otherwise); all ≥ 1: <c>Min(x, a·x)</c>; otherwise <c>Relu(x) + a·Min(x, 0)</c> (one
    /// term is an exact zero).
    /// </summary>
    private Value Prelu(TfNode node, Value input, Value alpha, string hint)
    {
        var slopes = alpha.Constant is { IsInteger: false } constant ? constant.Floats! : null;
        var bound = slopes is null ? null : slopes.All(a => a <= 1f) ? "Max" : slopes.All(a => a >= 1f) ? "Min" : null;
        if (bound is not null)
        {
            var scaled = Elementwise(node, "Mul", [input, alpha], hint + "/scaled");
            return Elementwise(node, bound, [input, scaled], hint);
        }

        _layoutFloats++; // the zero below is not a parameter of the model
        var positive = Unary(node, "Relu", input, hint + "/positive");
        var negative = Elementwise(node, "Min", [input, ConstantValue(hint + "/zero", [0f])], hint + "/negative");
        var sloped = Elementwise(node, "Mul", [negative, alpha], hint + "/sloped");
        return Elementwise(node, "Add", [positive, sloped], hint);
    }

    private Value ClipRelu6(TfNode node, Value input, string hint) => Clip(input, 0f, 6f, hint);

    private Value Clip(Value input, float min, float max, string hint) => PerElement(
        input, "Clip", hint, [_builder.Scalar(hint + "/min", min), _builder.Scalar(hint + "/max", max)], keepsZero: min <= 0 && max >= 0, nonNegative: min >= 0);

    /// <summary>
    /// Keras' bounded ReLU as TF writes it (FaceRes: <c>Relu → Minimum(6) → Maximum(0)</c>, 27 times) becomes one
    /// <c>Clip(0, 6)</c> of the ReLU's input: the same values, and ONNX Runtime fuses a Clip into the convolution before
    /// it, where stand-alone Min and Max made it leave its blocked layout around every convolution (FaceRes at batch 1
    /// on one thread: docs/benchmarks.md). The Minimum of a ReLU by a bound ≥ 0 is that Clip; the Maximum of a
    /// non-negative value and a bound ≤ 0 is the value itself. Null: not this pattern.
    /// </summary>
    private Value? Clamp(TfNode node)
    {
        if (node.Inputs.Count != 2 || ScalarBound(node.Inputs[1]) is not { } bound)
        {
            return null;
        }

        if (node.Op == "Minimum" && bound >= 0 && _nodes.TryGetValue(TfNode.NodeNameOf(node.Inputs[0]), out var producer) && producer.Op == "Relu")
        {
            return Clip(Input(producer, 0), 0f, bound, node.Name);
        }

        if (node.Op == "Maximum" && bound <= 0)
        {
            var input = Input(node, 0);
            return input.NonNegative ? input : null;
        }

        return null;
    }

    /// <summary>The value of a one-element float constant input (null: anything else).</summary>
    private float? ScalarBound(string input) =>
        _nodes.TryGetValue(TfNode.NodeNameOf(input), out var node) && node.Op == "Const"
            && _graph.Weights.TryGetValue(node.Name, out var tensor) && tensor is { IsInteger: false, Length: 1 }
            ? tensor.Floats![0]
            : null;

    // ---- convolution, matrix product, batch norm --------------------------------------------------------------------

    private Value Convolution(TfNode node, bool depthwise)
    {
        RequireNhwc(node);
        var input = Input(node, 0);
        var filter = Input(node, 1).Constant
            ?? throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "the filter must be a constant");
        if (filter.Shape.Count != 4)
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "the filter must be 4-D");
        }

        long kh = filter.Shape[0], kw = filter.Shape[1], cin = filter.Shape[2], cout = filter.Shape[3];
        float[] weights;
        long[] weightShape;
        long group;
        if (depthwise)
        {
            // TF [kh, kw, cin, multiplier] → ONNX [cin * multiplier, 1, kh, kw] with one group per input channel.
            weights = TransposeData(filter, [2, 3, 0, 1]).Floats!;
            weightShape = [cin * cout, 1, kh, kw];
            group = cin;
            cout *= cin;
        }
        else
        {
            weights = TransposeData(filter, [3, 2, 0, 1]).Floats!;
            weightShape = [cout, cin, kh, kw];
            group = 1;
        }

        // Fused ops consume the node's extra inputs in order: BiasAdd 1, FusedBatchNorm 4, Prelu 1.
        var fused = node.GetStrings("fused_ops");
        float[]? bias = null;
        var argument = 2;
        var activations = new List<(string Op, Value? Alpha)>();
        foreach (var op in fused)
        {
            switch (op)
            {
                case "BiasAdd":
                    bias = RequireFloats(node, Input(node, argument++), cout);
                    break;
                case "FusedBatchNorm" or "FusedBatchNormV3":
                {
                    var (scale, shift) = FoldBatchNorm(node, argument, node.GetFloat("epsilon", 0.001f), cout);
                    argument += 4;
                    var perOut = weights.Length / cout;
                    for (var i = 0; i < weights.Length; i++)
                    {
                        weights[i] *= scale[i / perOut];
                    }

                    bias = [.. shift.Select((s, o) => ((bias?[o] ?? 0f) * scale[o]) + s)];
                    break;
                }

                case "Prelu":
                    activations.Add((op, Input(node, argument++)));
                    break;
                default:
                    activations.Add((op, null));
                    break;
            }
        }

        var strides = HwPair(node, "strides");
        var dilations = node.Has("dilations") ? HwPair(node, "dilations") : [1, 1];
        var padding = node.GetString("padding", "VALID");
        var attributes = new List<AttributeProto>
        {
            Ints("kernel_shape", [kh, kw]),
            Ints("strides", strides),
            Ints("dilations", dilations),
            Int("group", group),
        };
        var pads = PaddingAttribute(node, padding, attributes);
        var weightsPerOutput = kh * kw * weightShape[1];

        // Channels appended for ONNX Runtime's blocked (NCHWc) layout, zero in and zero out: an input that stores more
        // channels than it has meets zero weights (a depthwise filter gets zero filters for them), and an output whose
        // width is not a multiple of the block gets zero filters and zero biases up to it (ConversionOptions.ChannelBlock).
        string? source = null;
        long stored = 0;
        if (input.Nchw && input.StoredChannels > 0 && (!depthwise || filter.Shape[3] == 1))
        {
            source = input.Onnx;
            if (depthwise)
            {
                stored = input.StoredChannels;
                (weights, weightShape) = (ZeroPaddedRows(weights, weightShape, stored), [stored, .. weightShape[1..]]);
                attributes[3] = Int("group", stored);
            }
            else
            {
                (weights, weightShape) = (ZeroPaddedColumns(weights, weightShape, input.StoredChannels), [weightShape[0], input.StoredChannels, .. weightShape[2..]]);
            }
        }

        if (!depthwise && StoredChannelsFor(cout) is > 0 and var wider)
        {
            stored = wider;
            (weights, weightShape) = (ZeroPaddedRows(weights, weightShape, stored), [stored, .. weightShape[1..]]);
        }

        var inputs = new List<string>
        {
            source ?? Nchw(input, node),
            _builder.Floats(node.Name + "/weights", weightShape, weights),
        };
        if (bias is not null)
        {
            inputs.Add(_builder.Floats(node.Name + "/bias", [weightShape[0]], stored > 0 ? ZeroPadded(bias, stored) : bias));
            _layoutFloats += weightShape[0] - cout;
        }

        _layoutFloats += weights.Length - (cout * weightsPerOutput);

        var shape = new[]
        {
            input.Shape[0],
            OutputSize(input.Shape[1], kh, strides[0], dilations[0], padding, pads[0], pads[2]),
            OutputSize(input.Shape[2], kw, strides[1], dilations[1], padding, pads[1], pads[3]),
            cout,
        };
        if (shape[1] > 0 && shape[2] > 0)
        {
            _flops += 2 * shape[1] * shape[2] * cout * weightsPerOutput;
        }

        var hint = activations.Count == 0 ? node.Name : node.Name + "/conv";
        var result = new Value { Hint = hint, Onnx = _builder.Node("Conv", hint, inputs, [.. attributes]), Nchw = true, Shape = shape, StoredChannels = stored };
        for (var i = 0; i < activations.Count; i++)
        {
            var name = i == activations.Count - 1 ? node.Name : $"{node.Name}/{activations[i].Op}";
            result = Activation(node, activations[i].Op, result, activations[i].Alpha, name);
        }

        return result;
    }

    /// <summary>ONNX conv weights [out, in, kh, kw] with zero filters appended up to <paramref name="rows"/> outputs.</summary>
    private static float[] ZeroPaddedRows(float[] weights, long[] shape, long rows)
    {
        var padded = new float[rows * shape[1] * shape[2] * shape[3]];
        weights.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>ONNX conv weights [out, in, kh, kw] with zero input channels appended up to <paramref name="columns"/>.</summary>
    private static float[] ZeroPaddedColumns(float[] weights, long[] shape, long columns)
    {
        var kernel = (int)(shape[2] * shape[3]);
        var before = (int)shape[1] * kernel;
        var after = (int)columns * kernel;
        var padded = new float[shape[0] * after];
        for (var o = 0; o < shape[0]; o++)
        {
            Array.Copy(weights, o * before, padded, o * after, before);
        }

        return padded;
    }

    private (float[] Scale, float[] Shift) FoldBatchNorm(TfNode node, int first, float epsilon, long channels)
    {
        var gamma = RequireFloats(node, Input(node, first), channels);
        var beta = RequireFloats(node, Input(node, first + 1), channels);
        var mean = RequireFloats(node, Input(node, first + 2), channels);
        var variance = RequireFloats(node, Input(node, first + 3), channels);
        var scale = new float[channels];
        var shift = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            scale[c] = (float)(gamma[c] / Math.Sqrt(variance[c] + (double)epsilon));
            shift[c] = (float)(beta[c] - (mean[c] * (double)scale[c]));
        }

        return (scale, shift);
    }

    private Value BatchNorm(TfNode node)
    {
        RequireNhwc(node);
        if (node.GetBool("is_training"))
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "training-mode batch norm cannot be folded");
        }

        var input = Input(node, 0);
        var channels = input.Shape[^1];
        var (scale, shift) = FoldBatchNorm(node, 1, node.GetFloat("epsilon", 0.001f), channels);
        var scaled = Elementwise(node, "Mul", [input, ConstantValue(node.Name + "/scale", scale)], node.Name + "/scale");
        return Elementwise(node, "Add", [scaled, ConstantValue(node.Name + "/shift", shift)]);
    }

    private Value MatrixProduct(TfNode node)
    {
        var a = Input(node, 0);
        var b = Input(node, 1);
        var transposeA = node.GetBool("transpose_a") || node.GetBool("adj_x");
        var transposeB = node.GetBool("transpose_b") || node.GetBool("adj_y");
        var left = Plain(a);
        var aShape = a.Shape;
        if (transposeA)
        {
            left = _builder.Node("Transpose", node.Name + "/a_t", [left], Ints("perm", SwapLast(a.Rank)));
            aShape = Permute(aShape, SwapLast(a.Rank));
        }

        string right;
        long[] bShape;
        if (b.Constant is { } constant && transposeB)
        {
            bShape = Permute(constant.Shape, SwapLast(b.Rank));
            right = _builder.Floats(b.Hint + "/transposed", bShape, TransposeData(constant, SwapLast(b.Rank)).Floats!);
        }
        else
        {
            right = Plain(b);
            bShape = b.Shape;
            if (transposeB)
            {
                right = _builder.Node("Transpose", node.Name + "/b_t", [right], Ints("perm", SwapLast(b.Rank)));
                bShape = Permute(bShape, SwapLast(b.Rank));
            }
        }

        long m = aShape[^2], k = aShape[^1], n = bShape[^1];
        _flops += 2 * Math.Max(m, 1) * k * n;
        var fused = node.GetStrings("fused_ops");
        var hint = fused.Count == 0 ? node.Name : node.Name + "/matmul";
        var shape = aShape[..^1].Append(n).ToArray();
        var result = new Value { Hint = hint, Onnx = _builder.Node("MatMul", hint, [left, right]), Shape = shape };
        var argument = 2;
        for (var i = 0; i < fused.Count; i++)
        {
            var name = i == fused.Count - 1 ? node.Name : $"{node.Name}/{fused[i]}";
            result = fused[i] switch
            {
                "BiasAdd" => Elementwise(node, "Add", [result, Input(node, argument++)], name),
                "Prelu" => Activation(node, "Prelu", result, Input(node, argument++), name),
                var activation => Activation(node, activation, result, null, name),
            };
        }

        return result;
    }

    // ---- pooling, reductions, softmax -------------------------------------------------------------------------------

    private Value Pool(TfNode node)
    {
        RequireNhwc(node);
        var input = Input(node, 0);
        var kernel = HwPair(node, "ksize");
        var strides = HwPair(node, "strides");
        var padding = node.GetString("padding", "VALID");
        var attributes = new List<AttributeProto> { Ints("kernel_shape", kernel), Ints("strides", strides) };
        var pads = PaddingAttribute(node, padding, attributes);
        if (node.Op == "AvgPool")
        {
            // TF averages over the valid (unpadded) window only.
            attributes.Add(Int("count_include_pad", 0));
        }

        var shape = new[]
        {
            input.Shape[0],
            OutputSize(input.Shape[1], kernel[0], strides[0], 1, padding, pads[0], pads[2]),
            OutputSize(input.Shape[2], kernel[1], strides[1], 1, padding, pads[1], pads[3]),
            input.Shape[3],
        };
        var op = node.Op == "MaxPool" ? "MaxPool" : "AveragePool";

        // Pooling is per channel: appended zero channels pool to zeros and stay.
        var source = input.Nchw && input.StoredChannels > 0 ? input.Onnx : Nchw(input, node);
        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node(op, node.Name, [source], [.. attributes]),
            Nchw = true,
            Shape = shape,
            StoredChannels = input.Nchw ? input.StoredChannels : 0,
        };
    }

    private Value Reduce(TfNode node, string op)
    {
        var input = Input(node, 0);
        var axes = Normalize(ConstInts(node, 1), input.Rank);
        var keep = node.GetBool("keep_dims");
        var (source, nchwOut, onnxAxes) = AxisLayout(input, axes, keep, node);
        var attributes = new[] { Int("keepdims", keep ? 1 : 0) };
        var output = _builder.Node(op, node.Name, [source, _builder.LongVector(node.Name + "/axes", onnxAxes)], attributes);
        var shape = keep
            ? input.Shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray()
            : input.Shape.Where((_, i) => !axes.Contains(i)).ToArray();
        return new Value { Hint = node.Name, Onnx = output, Nchw = nchwOut, Shape = shape };
    }

    /// <summary>
    /// Where a reduction-like op over TF <paramref name="axes"/> runs: on the NCHW tensor when what is left comes out
    /// in TF order (or keeps rank 4), else on the TF-layout tensor.
    /// </summary>
    private (string Source, bool NchwOut, long[] Axes) AxisLayout(Value input, long[] axes, bool keep, TfNode node)
    {
        if (input.Nchw)
        {
            var mapped = axes.Select(a => (long)NhwcToNchwAxis[a]).ToArray();
            if (keep)
            {
                return (Logical(input), true, mapped);
            }

            var remaining = Enumerable.Range(0, 4).Where(a => !axes.Contains(a)).Select(a => NhwcToNchwAxis[a]).ToArray();
            if (remaining.Zip(remaining.Skip(1)).All(p => p.First < p.Second))
            {
                return (Logical(input), false, mapped);
            }
        }

        _ = node;
        return (Plain(input), false, axes);
    }

    private Value Softmax(TfNode node)
    {
        var input = Input(node, 0);
        var op = node.Op == "Softmax" ? "Softmax" : "LogSoftmax";
        var source = input.Nchw ? Logical(input) : Plain(input);
        var axis = input.Nchw ? 1 : -1;
        return input with
        {
            Hint = node.Name,
            Onnx = _builder.Node(op, node.Name, [source], Int("axis", axis)),
            Constant = null,
            PlainName = null,
            NchwName = null,
            LogicalName = null,
            NonNegative = false,
            StoredChannels = 0,
        };
    }

    // ---- shape manipulation -------------------------------------------------------------------------------------------

    private Value Pad(TfNode node)
    {
        var input = Input(node, 0);
        var paddings = ConstInts(node, 1);
        if (paddings.Length != 2 * input.Rank)
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "paddings must be [rank, 2]");
        }

        var order = input.Nchw ? ToNchw : Enumerable.Range(0, input.Rank).Select(i => (long)i).ToArray();
        var begins = order.Select(a => paddings[2 * a]).ToArray();
        var ends = order.Select(a => paddings[(2 * a) + 1]).ToArray();

        if (input.Nchw && node.Op == "Pad" && _options.ChannelBlock > 1 && begins[1] == 0 && ends[1] > 0
            && begins.Concat(ends).Where((_, i) => i % 4 != 1).All(p => p == 0))
        {
            return WidenChannels(node, input, input.Shape[3] + ends[1]);
        }

        var inputs = new List<string>
        {
            input.Nchw ? Logical(input) : Plain(input),
            _builder.LongVector(node.Name + "/pads", [.. begins.Concat(ends)]),
        };
        if (node.Op == "PadV2")
        {
            inputs.Add(Plain(Input(node, 2)));
        }

        var shape = input.Shape.Select((d, i) => d < 0 ? d : d + paddings[2 * i] + paddings[(2 * i) + 1]).ToArray();
        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node("Pad", node.Name, inputs, String("mode", "constant")),
            Nchw = input.Nchw,
            Shape = shape,
        };
    }

    /// <summary>
    /// Zero channels appended to an NCHW tensor (BlazeFace widens its residual shortcut so) as a 1×1 convolution with
    /// identity weights: the same values (each output is 1·x plus zero products), and ONNX Runtime keeps a convolution
    /// in its blocked layout, where a Pad would leave it for the rest of the residual chain.
    /// </summary>
    private Value WidenChannels(TfNode node, Value input, long channels)
    {
        var inStored = StoredOf(input);
        var outStored = Math.Max(StoredChannelsFor(channels), channels);
        var weights = new float[outStored * inStored];
        for (var c = 0; c < input.Shape[3]; c++)
        {
            weights[(c * inStored) + c] = 1f;
        }

        var output = _builder.Node(
            "Conv",
            node.Name,
            [input.Onnx, _builder.Floats(node.Name + "/identity", [outStored, inStored, 1, 1], weights)],
            Ints("kernel_shape", [1, 1]));
        _layoutFloats += weights.Length;
        return new Value
        {
            Hint = node.Name,
            Onnx = output,
            Nchw = true,
            Shape = [.. input.Shape[..3], channels],
            StoredChannels = outStored > channels ? outStored : 0,
        };
    }

    private Value Reshape(TfNode node)
    {
        var input = Input(node, 0);
        var target = Input(node, 1);
        string shapeName;
        long?[] contents;
        if (target.Constant is { } constant)
        {
            var dims = constant.Ints!.ToArray();

            // Graphs exported with batch 1 (blazeface) reshape to [1, ...]; keep the batch dynamic (0 = copy dim 0).
            if (dims.Length > 0 && dims[0] == 1 && input.Shape.Length > 0 && input.Shape[0] < 0)
            {
                dims[0] = 0;
            }

            shapeName = _builder.LongVector(node.Name + "/shape", dims);
            contents = [.. dims.Select((d, i) => d == 0 ? (long?)null : d)];
        }
        else
        {
            shapeName = Plain(target);
            contents = target.IntContents
                ?? (target.Shape.Length == 1 && target.Shape[0] >= 0
                    ? new long?[target.Shape[0]]
                    : throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "the target shape has unknown rank"));
        }

        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node("Reshape", node.Name, [Plain(input), shapeName]),
            Shape = ResolveReshape(input.Shape, contents),
            IsInteger = input.IsInteger,
        };
    }

    /// <summary>Static output shape of a reshape: unknown entries are the batch, one -1 takes what is left.</summary>
    private static long[] ResolveReshape(long[] inputShape, long?[] target)
    {
        var shape = target.Select(d => d ?? -1L).ToArray();
        var wildcard = Array.FindIndex(target, d => d == -1);
        var knownIn = inputShape.Where(d => d >= 0).Aggregate(1L, (a, b) => a * b);
        var knownOut = target.Where(d => d is > 0).Aggregate(1L, (a, b) => a * b!.Value);
        if (wildcard >= 0 && inputShape.Count(d => d < 0) == target.Count(d => d is null) && knownOut > 0)
        {
            shape[wildcard] = knownIn / knownOut;
        }

        return shape;
    }

    private Value Squeeze(TfNode node)
    {
        var input = Input(node, 0);
        var axes = node.GetInts("squeeze_dims").Concat(node.GetInts("axis")).ToArray();
        if (axes.Length == 0)
        {
            axes = [.. Enumerable.Range(0, input.Rank).Where(i => input.Shape[i] == 1).Select(i => (long)i)];
        }

        axes = Normalize(axes, input.Rank);
        var (source, nchwOut, onnxAxes) = AxisLayout(input, axes, keep: false, node);
        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node("Squeeze", node.Name, [source, _builder.LongVector(node.Name + "/axes", onnxAxes)]),
            Nchw = nchwOut,
            Shape = input.Shape.Where((_, i) => !axes.Contains(i)).ToArray(),
            IsInteger = input.IsInteger,
        };
    }

    private Value ExpandDims(TfNode node)
    {
        var input = Input(node, 0);
        var axis = ConstInts(node, 1)[0];
        if (axis < 0)
        {
            axis += input.Rank + 1;
        }

        var shape = input.Shape.ToList();
        shape.Insert((int)axis, 1);
        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node("Unsqueeze", node.Name, [Plain(input), _builder.LongVector(node.Name + "/axes", axis)]),
            Shape = [.. shape],
            IsInteger = input.IsInteger,
        };
    }

    private Value Concat(TfNode node)
    {
        var count = node.Inputs.Count - 1;
        var parts = Enumerable.Range(0, count).Select(i => Input(node, i)).ToArray();
        var rank = parts[0].Rank;
        var axis = ConstInts(node, count)[0];
        if (axis < 0)
        {
            axis += rank;
        }

        var nchw = rank == 4 && parts.Any(p => p.Nchw) && parts.All(p => p.Nchw || p.Constant is not null);
        var names = nchw ? parts.Select(p => Nchw(p, node)).ToList() : [.. parts.Select(Plain)];
        var shape = parts[0].Shape.ToArray();
        shape[axis] = parts.Any(p => p.Shape[axis] < 0) ? -1 : parts.Sum(p => p.Shape[axis]);
        var onnxAxis = nchw ? NhwcToNchwAxis[axis] : axis;
        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node("Concat", node.Name, names, Int("axis", onnxAxis)),
            Nchw = nchw,
            Shape = shape,
            IsInteger = parts[0].IsInteger,
            IntContents = rank == 1 && parts.All(p => p.IntContents is not null) ? [.. parts.SelectMany(p => p.IntContents!)] : null,
        };
    }

    private Value StridedSlice(TfNode node)
    {
        var input = Input(node, 0);
        var begin = ConstInts(node, 1);
        var end = ConstInts(node, 2);
        var stride = ConstInts(node, 3);
        if (node.GetInt("ellipsis_mask") != 0 || node.GetInt("new_axis_mask") != 0)
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, "ellipsis_mask and new_axis_mask are not supported");
        }

        long beginMask = node.GetInt("begin_mask"), endMask = node.GetInt("end_mask"), shrinkMask = node.GetInt("shrink_axis_mask");
        var starts = new long[begin.Length];
        var ends = new long[begin.Length];
        var shrink = new List<long>();
        var shape = input.Shape.ToArray();
        for (var i = 0; i < begin.Length; i++)
        {
            var step = stride[i];
            starts[i] = (beginMask & (1L << i)) != 0 ? (step > 0 ? 0 : long.MaxValue) : begin[i];
            ends[i] = (endMask & (1L << i)) != 0 ? (step > 0 ? long.MaxValue : long.MinValue) : end[i];
            if ((shrinkMask & (1L << i)) != 0)
            {
                starts[i] = begin[i];
                ends[i] = begin[i] == -1 ? long.MaxValue : begin[i] + 1;
                stride[i] = 1;
                shrink.Add(i);
            }

            shape[i] = SliceLength(shape[i], starts[i], ends[i], stride[i]);
        }

        var axes = Enumerable.Range(0, begin.Length).Select(i => (long)i).ToArray();
        var sliced = _builder.Node(
            "Slice",
            shrink.Count == 0 ? node.Name : node.Name + "/slice",
            [
                Plain(input),
                _builder.LongVector(node.Name + "/starts", starts),
                _builder.LongVector(node.Name + "/ends", ends),
                _builder.LongVector(node.Name + "/axes", axes),
                _builder.LongVector(node.Name + "/steps", stride),
            ]);
        long?[]? contents = null;
        if (input.IntContents is { } source && input.Rank == 1 && shape[0] >= 0)
        {
            var first = starts[0] < 0 ? starts[0] + source.Length : Math.Min(starts[0], source.Length);
            contents = [.. Enumerable.Range(0, (int)shape[0]).Select(k => source[first + (k * stride[0])])];
        }

        if (shrink.Count > 0)
        {
            sliced = _builder.Node("Squeeze", node.Name, [sliced, _builder.LongVector(node.Name + "/shrink", [.. shrink])]);
        }

        return new Value
        {
            Hint = node.Name,
            Onnx = sliced,
            Shape = shape.Where((_, i) => !shrink.Contains(i)).ToArray(),
            IsInteger = input.IsInteger,
            IntContents = contents,
        };
    }

    private static long SliceLength(long dim, long start, long end, long step)
    {
        if (dim < 0)
        {
            return -1;
        }

        static long Clamp(long v, long dim, long step)
        {
            if (v < 0)
            {
                v = v == long.MinValue ? -1 : v + dim;
            }

            return step > 0 ? Math.Clamp(v, 0, dim) : Math.Clamp(v, -1, dim - 1);
        }

        long s = Clamp(start, dim, step), e = Clamp(end, dim, step);
        return step > 0 ? Math.Max(0, (e - s + step - 1) / step) : Math.Max(0, (s - e + (-step) - 1) / -step);
    }

    private Value Transpose(TfNode node)
    {
        var input = Input(node, 0);
        var perm = ConstInts(node, 1);
        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node("Transpose", node.Name, [Plain(input)], Ints("perm", perm)),
            Shape = Permute(input.Shape, perm),
            IsInteger = input.IsInteger,
        };
    }

    private Value Resize(TfNode node)
    {
        var input = Input(node, 0);
        var size = ConstInts(node, 1);
        var alignCorners = node.GetBool("align_corners");
        var halfPixel = node.GetBool("half_pixel_centers");
        var x = Nchw(input, node);
        var shape = _builder.Node("Shape", node.Name + "/shape", [x], Int("start", 0), Int("end", 2));
        var sizes = _builder.Node("Concat", node.Name + "/sizes", [shape, _builder.LongVector(node.Name + "/hw", size)], Int("axis", 0));
        List<AttributeProto> attributes;
        if (node.Op == "ResizeBilinear")
        {
            // TF's legacy (neither flag), align_corners and half_pixel_centers samplers, as ONNX coordinate modes.
            var mode = alignCorners ? "align_corners" : halfPixel ? "half_pixel" : "asymmetric";
            attributes = [String("mode", "linear"), String("coordinate_transformation_mode", mode)];
        }
        else
        {
            var mode = alignCorners ? "align_corners" : halfPixel ? "tf_half_pixel_for_nn" : "asymmetric";
            attributes = [String("mode", "nearest"), String("coordinate_transformation_mode", mode), String("nearest_mode", alignCorners ? "round_prefer_ceil" : "floor")];
        }

        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node("Resize", node.Name, [x, string.Empty, string.Empty, sizes], [.. attributes]),
            Nchw = true,
            Shape = [input.Shape[0], size[0], size[1], input.Shape[3]],
        };
    }

    private Value DepthSpace(TfNode node)
    {
        RequireNhwc(node);
        var input = Input(node, 0);
        var block = node.GetInt("block_size");

        // TF's NHWC depth order (block row, block column, channel) is ONNX's DCR mode.
        var toSpace = node.Op == "DepthToSpace";
        var attributes = toSpace ? new[] { Int("blocksize", block), String("mode", "DCR") } : [Int("blocksize", block)];
        var s = input.Shape;
        long[] shape = toSpace
            ? [s[0], s[1] * block, s[2] * block, s[3] / (block * block)]
            : [s[0], s[1] / block, s[2] / block, s[3] * block * block];
        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node(node.Op, node.Name, [Nchw(input, node)], attributes),
            Nchw = true,
            Shape = shape,
        };
    }

    private Value ShapeOf(TfNode node)
    {
        var input = Input(node, 0);
        string output;
        if (input.Nchw)
        {
            var nchwShape = _builder.Node("Shape", node.Name + "/nchw", [Logical(input)]);
            output = _builder.Node("Gather", node.Name, [nchwShape, _builder.LongVector(node.Name + "/order", ToNhwc)], Int("axis", 0));
        }
        else
        {
            output = _builder.Node("Shape", node.Name, [Plain(input)]);
        }

        return new Value
        {
            Hint = node.Name,
            Onnx = output,
            Shape = [input.Rank],
            IsInteger = true,
            IntContents = [.. input.Shape.Select(d => d < 0 ? (long?)null : d)],
        };
    }

    private Value Pack(TfNode node)
    {
        var axis = node.GetInt("axis");
        var parts = node.Inputs.Select(Get).ToArray();
        var rank = parts[0].Rank + 1;
        if (axis < 0)
        {
            axis += rank;
        }

        var axesName = _builder.LongVector(node.Name + "/axis", axis);
        var names = parts.Select((p, i) => _builder.Node("Unsqueeze", $"{node.Name}/part{i}", [Plain(p), axesName])).ToList();
        var shape = parts[0].Shape.ToList();
        shape.Insert((int)axis, parts.Length);
        return new Value
        {
            Hint = node.Name,
            Onnx = _builder.Node("Concat", node.Name, names, Int("axis", axis)),
            Shape = [.. shape],
            IsInteger = parts[0].IsInteger,
            IntContents = rank == 1 && parts.All(p => p.IntContents is { Length: 1 })
                ? [.. parts.Select(p => p.IntContents![0])]
                : null,
        };
    }

    private Value Cast(TfNode node)
    {
        var input = Input(node, 0);
        var (type, isInteger) = node.GetType("DstT") switch
        {
            "DT_FLOAT" => (TensorProto.Types.DataType.Float, false),
            "DT_INT32" or "DT_INT64" => (TensorProto.Types.DataType.Int64, true),
            "DT_BOOL" => (TensorProto.Types.DataType.Bool, true),
            var other => throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"cast to {other} is not supported"),
        };
        var source = input.Nchw ? Logical(input) : Plain(input);
        return input with
        {
            Hint = node.Name,
            Onnx = _builder.Node("Cast", node.Name, [source], Int("to", (long)type)),
            LogicalName = null,
            StoredChannels = 0,
            Constant = null,
            PlainName = null,
            NchwName = null,
            IsInteger = isInteger,
            NonNegative = false,
        };
    }

    // ---- small helpers --------------------------------------------------------------------------------------------------

    private static void RequireNhwc(TfNode node)
    {
        var format = node.GetString("data_format", "NHWC");
        if (format != "NHWC")
        {
            throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"data_format {format} is not supported");
        }
    }

    private static long[] HwPair(TfNode node, string attribute)
    {
        var values = node.GetInts(attribute);
        return values.Count == 4
            ? [values[1], values[2]]
            : throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"attribute {attribute} must have 4 entries");
    }

    /// <summary>Adds auto_pad or explicit pads; returns [top, left, bottom, right] for shape inference (0 for SAME).</summary>
    private static long[] PaddingAttribute(TfNode node, string padding, List<AttributeProto> attributes)
    {
        switch (padding)
        {
            case "SAME":
                // TF puts the odd padding pixel at the end (bottom/right), which is ONNX SAME_UPPER.
                attributes.Add(String("auto_pad", "SAME_UPPER"));
                return [0, 0, 0, 0];
            case "VALID":
                attributes.Add(Ints("pads", [0, 0, 0, 0]));
                return [0, 0, 0, 0];
            case "EXPLICIT":
            {
                var explicitPads = node.GetInts("explicit_paddings");
                long[] pads = [explicitPads[2], explicitPads[4], explicitPads[3], explicitPads[5]];
                attributes.Add(Ints("pads", pads));
                return pads;
            }

            default:
                throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"padding {padding} is not supported");
        }
    }

    private static long OutputSize(long size, long kernel, long stride, long dilation, string padding, long before, long after)
    {
        if (size < 0)
        {
            return -1;
        }

        var effective = ((kernel - 1) * dilation) + 1;
        return padding == "SAME" ? (size + stride - 1) / stride : ((size + before + after - effective) / stride) + 1;
    }

    private long[] ConstInts(TfNode node, int index)
    {
        var value = Input(node, index);
        return value.Constant?.Ints?.ToArray()
            ?? throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"input {index} must be a constant integer tensor");
    }

    private static float[] RequireFloats(TfNode node, Value value, long count)
    {
        var floats = value.Constant?.Floats
            ?? throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"'{value.Hint}' must be a constant");
        return floats.Length == count
            ? floats
            : throw new UnsupportedTensorFlowOpException(node.Op, node.Name, $"'{value.Hint}' has {floats.Length} values, expected {count}");
    }

    private static Value ConstantValue(string hint, float[] values) =>
        new() { Hint = hint, Shape = [values.Length], Constant = new TfTensor([values.Length], values) };

    private static long[] Normalize(long[] axes, int rank) => [.. axes.Select(a => a < 0 ? a + rank : a)];

    private static long[] SwapLast(int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return perm;
    }

    private static long[] Permute(IReadOnlyList<long> shape, long[] perm) => [.. perm.Select(p => shape[(int)p])];

    private static long[] Broadcast(long[] a, long[] b, TfNode node)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var x = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            var y = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            result[i] = x == y ? x : x == 1 ? y : y == 1 ? x : x < 0 ? y : y < 0 ? x
                : throw new UnsupportedTensorFlowOpException(node.Op, node.Name, string.Create(CultureInfo.InvariantCulture, $"shapes [{string.Join(',', a)}] and [{string.Join(',', b)}] do not broadcast"));
        }

        return result;
    }

    /// <summary>Transposes constant data by <paramref name="perm"/> (output axis i = input axis perm[i]).</summary>
    private static TfTensor TransposeData(TfTensor tensor, long[] perm)
    {
        var shape = tensor.Shape.ToArray();
        var rank = shape.Length;
        var outShape = Permute(shape, perm);
        var inStrides = new long[rank];
        var stride = 1L;
        for (var i = rank - 1; i >= 0; i--)
        {
            inStrides[i] = stride;
            stride *= shape[i];
        }

        var count = tensor.Length;
        var source = new long[count];
        var index = new long[rank];
        for (var o = 0; o < count; o++)
        {
            long offset = 0;
            for (var i = 0; i < rank; i++)
            {
                offset += index[i] * inStrides[perm[i]];
            }

            source[o] = offset;
            for (var i = rank - 1; i >= 0; i--)
            {
                if (++index[i] < outShape[i])
                {
                    break;
                }

                index[i] = 0;
            }
        }

        return tensor.IsInteger
            ? new TfTensor(outShape, [.. source.Select(s => tensor.Ints![s])])
            : new TfTensor(outShape, [.. source.Select(s => tensor.Floats![s])]);
    }

    /// <summary>A converted TF tensor.</summary>
    private sealed record Value
    {
        /// <summary>Base name for nodes and initializers derived from this value.</summary>
        public required string Hint { get; init; }

        /// <summary>ONNX tensor name (empty for a constant that has not been written).</summary>
        public string Onnx { get; init; } = string.Empty;

        /// <summary>Whether the ONNX tensor holds the 4-D NHWC TF tensor permuted to NCHW.</summary>
        public bool Nchw { get; init; }

        /// <summary>TF (NHWC) shape; -1 for the dynamic batch or an unknown size.</summary>
        public required long[] Shape { get; init; }

        public bool IsInteger { get; init; }

        public TfTensor? Constant { get; init; }

        /// <summary>Known contents of a small integer tensor (shape arithmetic); null entries are the batch size.</summary>
        public long?[]? IntContents { get; init; }

        public string? PlainName { get; set; }

        public string? NchwName { get; set; }

        /// <summary>Known to hold no negative element (the output of a Clip with a lower bound ≥ 0).</summary>
        public bool NonNegative { get; init; }

        /// <summary>
        /// Channels the NCHW tensor holds when zero channels were appended to the <c>Shape[3]</c> it stands for (see
        /// <c>ConversionOptions.ChannelBlock</c>); 0: exactly its own.
        /// </summary>
        public long StoredChannels { get; init; }

        /// <summary>The Slice of an NCHW tensor with appended channels down to its own, once made.</summary>
        public string? LogicalName { get; set; }

        public int Rank => Shape.Length;

        public TensorProto.Types.DataType ElementType =>
            IsInteger ? TensorProto.Types.DataType.Int64 : TensorProto.Types.DataType.Float;
    }
}
