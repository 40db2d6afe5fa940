using FacePlatform.ModelImport.Conversion;

namespace FacePlatform.ModelImport.Tests;

/// <summary>
/// Single-op graphs converted and run in ONNX Runtime, checked against plain C# implementations of the TensorFlow
/// semantics (NHWC, 'SAME' padding with the odd pixel at the end, half-pixel bilinear sampling).
/// </summary>
public sealed class OpConversionTests
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void Fused_conv_same_stride_2_with_bias_and_relu6()
    {
        long[] inShape = [2, 5, 6, 3];
        var input = Random(1, inShape, -2, 2);
        var filter = Random(2, [3, 3, 3, 4], -1, 1);
        float[] bias = [0.5f, -0.25f, 3f, 0f];
        var graph = new TestGraph()
            .Placeholder("x", -1, 5, 6, 3)
            .Const("w", [3, 3, 3, 4], filter)
            .Const("b", [4], bias)
            .Node("conv", "_FusedConv2D", ["x", "w", "b"], new()
            {
                ["strides"] = Attr.Ints(1, 2, 2, 1),
                ["padding"] = Attr.S("SAME"),
                ["data_format"] = Attr.S("NHWC"),
                ["fused_ops"] = Attr.Strings("BiasAdd", "Relu6"),
                ["num_args"] = Attr.I(1),
            });

        var (actual, shape) = graph.Run("conv", input, inShape);

        var expected = Conv2D(input, inShape, filter, [3, 3, 3, 4], 2, depthwise: false)
            .Select((v, i) => Math.Clamp(v + bias[i % 4], 0f, 6f)).ToArray();
        Assert.Equal([2L, 3, 3, 4], shape);
        AssertClose(expected, actual);
    }

    [Theory]
    [InlineData(true, 6f)]
    [InlineData(true, 0.5f)]
    [InlineData(false, 6f)]
    public void Bounded_relu_written_as_minimum_and_maximum_is_one_clip(bool relu, float bound)
    {
        // FaceRes writes Keras' ReLU(max_value=6) as Relu → Minimum(6) → Maximum(0). Without the Relu, Maximum(0) is not
        // redundant (the Minimum's output can be negative) and must stay.
        long[] inShape = [2, 4, 4, 3];
        var input = Random(8, inShape, -2, 2);
        var filter = Random(9, [1, 1, 3, 4], -3, 3);
        var graph = new TestGraph()
            .Placeholder("x", -1, 4, 4, 3)
            .Const("w", [1, 1, 3, 4], filter)
            .Const("upper", [], [bound])
            .Const("lower", [], [0f])
            .Node("conv", "Conv2D", ["x", "w"], new() { ["strides"] = Attr.Ints(1, 1, 1, 1), ["padding"] = Attr.S("VALID") });
        if (relu)
        {
            graph.Node("relu", "Relu", ["conv"]);
        }

        graph.Node("min", "Minimum", [relu ? "relu" : "conv", "upper"])
            .Node("max", "Maximum", ["min", "lower"]);

        var (actual, shape) = graph.Run("max", input, inShape);
        var ops = TfjsToOnnxConverter.Convert(graph.Build(), new ConversionOptions("x", [new OutputBinding("max", "y")]))
            .Model.Graph.Node.Select(n => n.OpType).ToList();

        var expected = Conv2D(input, inShape, filter, [1, 1, 3, 4], 1, depthwise: false)
            .Select(v => MathF.Max(MathF.Min(relu ? MathF.Max(v, 0f) : v, bound), 0f)).ToArray();
        Assert.Equal([2L, 4, 4, 4], shape);
        AssertClose(expected, actual);
        if (relu)
        {
            Assert.Equal(1, ops.Count(o => o == "Clip"));
            Assert.DoesNotContain("Min", ops);
            Assert.DoesNotContain("Max", ops);
            Assert.DoesNotContain("Relu", ops);
        }
        else
        {
            Assert.Equal(["Min", "Max"], ops.Where(o => o is "Min" or "Max" or "Clip"));
        }
    }

    [Theory]
    [InlineData(new[] { 0.25f, -0.5f, 1f }, "Max")]
    [InlineData(new[] { 1f, 2.5f, 4f }, "Min")]
    [InlineData(new[] { 0.25f, 2.5f, -1.5f }, "Add")]
    public void Prelu_with_constant_slopes_matches_its_definition_exactly(float[] slopes, string op)
    {
        // Slopes all ≤ 1 become Max(x, a·x), all ≥ 1 Min(x, a·x), mixed Relu(x) + a·Min(x, 0): the same floats as
        // PRelu, not merely close.
        long[] inShape = [2, 3, 4, 3];
        var input = Random(10, inShape, -3, 3);
        var graph = new TestGraph()
            .Placeholder("x", -1, 3, 4, 3)
            .Const("w", [1, 1, 3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1])
            .Const("alpha", [3], slopes)
            .Node("conv", "Conv2D", ["x", "w"], new() { ["strides"] = Attr.Ints(1, 1, 1, 1), ["padding"] = Attr.S("VALID") })
            .Node("prelu", "Prelu", ["conv", "alpha"]);

        var (actual, shape) = graph.Run("prelu", input, inShape);
        var ops = TfjsToOnnxConverter.Convert(graph.Build(), new ConversionOptions("x", [new OutputBinding("prelu", "y")]))
            .Model.Graph.Node.Select(n => n.OpType).ToList();

        var expected = input.Select((v, i) => v >= 0 ? v : v * slopes[i % 3]).ToArray();
        Assert.Equal(inShape, shape);
        Assert.Equal(expected, actual);
        Assert.Contains(op, ops);
        Assert.DoesNotContain("PRelu", ops);
    }

    [Theory]
    [InlineData("widened")]
    [InlineData("shortcut")]
    [InlineData("gate")]
    public void Channels_padded_for_the_blocked_layout_give_the_same_outputs(string output)
    {
        // A BlazeFace-like block at 24 channels: conv → depthwise → residual add → max-pool → zero channels appended
        // (Pad) → add to a 48-channel conv. With ChannelBlock 16 the 24-channel tensors store 32 channels; every output
        // — one of 48 channels, the 24-channel shortcut itself, a Sigmoid (which does not keep zeros) of it — must be
        // the same floats as without padding.
        long[] inShape = [2, 8, 8, 3];
        var input = Random(11, inShape, -1, 1);
        var graph = new TestGraph()
            .Placeholder("x", -1, 8, 8, 3)
            .Const("w1", [3, 3, 3, 24], Random(12, [3, 3, 3, 24], -1, 1))
            .Const("b1", [24], Random(13, [24], -1, 1))
            .Const("dw", [3, 3, 24, 1], Random(14, [3, 3, 24, 1], -1, 1))
            .Const("w2", [1, 1, 24, 48], Random(15, [1, 1, 24, 48], -1, 1))
            .Const("b2", [48], Random(16, [48], -1, 1))
            .ConstInt("pads", [4, 2], [0, 0, 0, 0, 0, 0, 0, 24])
            .Node("c1", "_FusedConv2D", ["x", "w1", "b1"], new()
            {
                ["strides"] = Attr.Ints(1, 1, 1, 1),
                ["padding"] = Attr.S("SAME"),
                ["fused_ops"] = Attr.Strings("BiasAdd", "Relu"),
                ["num_args"] = Attr.I(1),
            })
            .Node("d1", "DepthwiseConv2dNative", ["c1", "dw"], new() { ["strides"] = Attr.Ints(1, 1, 1, 1), ["padding"] = Attr.S("SAME") })
            .Node("a1", "AddV2", ["c1", "d1"])
            .Node("shortcut", "Relu", ["a1"])
            .Node("gate", "Sigmoid", ["shortcut"])
            .Node("p1", "MaxPool", ["shortcut"], new() { ["ksize"] = Attr.Ints(1, 2, 2, 1), ["strides"] = Attr.Ints(1, 2, 2, 1), ["padding"] = Attr.S("VALID") })
            .Node("pad", "Pad", ["p1", "pads"])
            .Node("c2", "_FusedConv2D", ["p1", "w2", "b2"], new()
            {
                ["strides"] = Attr.Ints(1, 1, 1, 1),
                ["padding"] = Attr.S("VALID"),
                ["fused_ops"] = Attr.Strings("BiasAdd"),
                ["num_args"] = Attr.I(1),
            })
            .Node("a2", "AddV2", ["c2", "pad"])
            .Node("widened", "Relu", ["a2"]);

        var (plain, plainShape) = graph.Run(output, input, inShape, channelBlock: 0);
        var (padded, paddedShape) = graph.Run(output, input, inShape, channelBlock: 16);
        var model = TfjsToOnnxConverter.Convert(graph.Build(), new ConversionOptions("x", [new OutputBinding(output, "y")])).Model.Graph;

        Assert.Equal(plainShape, paddedShape);
        Assert.Equal(plain.Length, padded.Length);
        for (var i = 0; i < plain.Length; i++)
        {
            Assert.True(Math.Abs(plain[i] - padded[i]) <= 1e-6f * Math.Max(1f, Math.Abs(plain[i])), $"element {i}: {plain[i]} vs {padded[i]}");
        }

        Assert.DoesNotContain(model.Node, n => n.OpType == "Pad");
        Assert.Contains(model.Initializer, t => t.Dims.Count == 4 && t.Dims[0] == 32);
    }

    [Fact]
    public void Depthwise_conv_same_with_channel_multiplier_then_spatial_mean()
    {
        long[] inShape = [2, 4, 5, 3];
        var input = Random(3, inShape, -1, 1);
        var filter = Random(4, [3, 3, 3, 2], -1, 1);
        var graph = new TestGraph()
            .Placeholder("x", -1, 4, 5, 3)
            .Const("w", [3, 3, 3, 2], filter)
            .ConstInt("axes", [2], [1, 2])
            .Node("dw", "DepthwiseConv2dNative", ["x", "w"], new() { ["strides"] = Attr.Ints(1, 1, 1, 1), ["padding"] = Attr.S("SAME") })
            .Node("mean", "Mean", ["dw", "axes"], new() { ["keep_dims"] = Attr.B(false) });

        var (actual, shape) = graph.Run("mean", input, inShape);

        var conv = Conv2D(input, inShape, filter, [3, 3, 3, 2], 1, depthwise: true);
        var expected = new float[2 * 6];
        for (var n = 0; n < 2; n++)
        {
            for (var c = 0; c < 6; c++)
            {
                double sum = 0;
                for (var p = 0; p < 20; p++)
                {
                    sum += conv[(((n * 20) + p) * 6) + c];
                }

                expected[(n * 6) + c] = (float)(sum / 20);
            }
        }

        Assert.Equal([2L, 6], shape);
        AssertClose(expected, actual);
    }

    [Fact]
    public void Max_pool_same_ignores_the_padding()
    {
        long[] inShape = [1, 5, 5, 2];
        var input = Random(5, inShape, -3, -1);
        var graph = new TestGraph()
            .Placeholder("x", -1, 5, 5, 2)
            .Node("pool", "MaxPool", ["x"], new() { ["ksize"] = Attr.Ints(1, 3, 3, 1), ["strides"] = Attr.Ints(1, 2, 2, 1), ["padding"] = Attr.S("SAME") });

        var (actual, shape) = graph.Run("pool", input, inShape);

        // SAME, k 3, s 2 on 5: output 3, total padding 2 → 1 before, 1 after. All inputs are negative, so a zero pad
        // would show up as 0.
        var expected = new float[3 * 3 * 2];
        for (var oy = 0; oy < 3; oy++)
        {
            for (var ox = 0; ox < 3; ox++)
            {
                for (var c = 0; c < 2; c++)
                {
                    var best = float.NegativeInfinity;
                    for (var ky = 0; ky < 3; ky++)
                    {
                        for (var kx = 0; kx < 3; kx++)
                        {
                            int y = (oy * 2) + ky - 1, x = (ox * 2) + kx - 1;
                            if (y is >= 0 and < 5 && x is >= 0 and < 5)
                            {
                                best = Math.Max(best, input[(((y * 5) + x) * 2) + c]);
                            }
                        }
                    }

                    expected[(((oy * 3) + ox) * 2) + c] = best;
                }
            }
        }

        Assert.Equal([1L, 3, 3, 2], shape);
        AssertClose(expected, actual);
    }

    [Fact]
    public void Resize_bilinear_half_pixel_centers_matches_tensorflow()
    {
        long[] inShape = [1, 3, 4, 1];
        var input = Random(6, inShape, 0, 1);
        var graph = new TestGraph()
            .Placeholder("x", -1, 3, 4, 1)
            .ConstInt("size", [2], [6, 8])
            .Node("resize", "ResizeBilinear", ["x", "size"], new() { ["align_corners"] = Attr.B(false), ["half_pixel_centers"] = Attr.B(true) });

        var (actual, shape) = graph.Run("resize", input, inShape);

        // TF: source = (dst + 0.5) * in/out - 0.5, neighbours floor and ceil clamped into the image.
        var expected = new float[6 * 8];
        for (var y = 0; y < 6; y++)
        {
            for (var x = 0; x < 8; x++)
            {
                var sy = ((y + 0.5) * 3 / 6) - 0.5;
                var sx = ((x + 0.5) * 4 / 8) - 0.5;
                int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx);
                double fy = sy - y0, fx = sx - x0;
                float At(int yy, int xx) => input[(Math.Clamp(yy, 0, 2) * 4) + Math.Clamp(xx, 0, 3)];
                var top = At(y0, x0) + ((At(y0, x0 + 1) - At(y0, x0)) * fx);
                var bottom = At(y0 + 1, x0) + ((At(y0 + 1, x0 + 1) - At(y0 + 1, x0)) * fx);
                expected[(y * 8) + x] = (float)(top + ((bottom - top) * fy));
            }
        }

        Assert.Equal([1L, 6, 8, 1], shape);
        AssertClose(expected, actual);
    }

    [Fact]
    public void Reshape_pinned_to_batch_one_keeps_the_batch_dynamic()
    {
        // blazeface reshapes NHWC activations to [1, cells, k]; the ONNX model must keep TF's element order and any batch.
        long[] inShape = [2, 2, 2, 3];
        var input = Random(7, inShape, -1, 1);
        var graph = new TestGraph()
            .Placeholder("x", 1, 2, 2, 3)
            .Const("w", [1, 1, 3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1])
            .ConstInt("shape", [3], [1, 4, 3])
            .Node("conv", "Conv2D", ["x", "w"], new() { ["strides"] = Attr.Ints(1, 1, 1, 1), ["padding"] = Attr.S("VALID") })
            .Node("reshape", "Reshape", ["conv", "shape"]);

        var (actual, shape) = graph.Run("reshape", input, inShape);

        Assert.Equal([2L, 4, 3], shape);
        AssertClose(input, actual);
    }

    /// <summary>Plain NHWC convolution with TF 'SAME' padding (floor(total / 2) before, the rest after).</summary>
    private static float[] Conv2D(float[] input, long[] inShape, float[] filter, long[] fShape, int stride, bool depthwise)
    {
        int n = (int)inShape[0], h = (int)inShape[1], w = (int)inShape[2], cin = (int)inShape[3];
        int kh = (int)fShape[0], kw = (int)fShape[1], k3 = (int)fShape[3];
        int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
        int padTop = Math.Max(((oh - 1) * stride) + kh - h, 0) / 2, padLeft = Math.Max(((ow - 1) * stride) + kw - w, 0) / 2;
        var cout = depthwise ? cin * k3 : k3;
        var output = new float[n * oh * ow * cout];
        for (var b = 0; b < n; b++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    for (var o = 0; o < cout; o++)
                    {
                        double sum = 0;
                        for (var ky = 0; ky < kh; ky++)
                        {
                            for (var kx = 0; kx < kw; kx++)
                            {
                                int y = (oy * stride) + ky - padTop, x = (ox * stride) + kx - padLeft;
                                if (y < 0 || y >= h || x < 0 || x >= w)
                                {
                                    continue;
                                }

                                var pixel = (((b * h) + y) * w + x) * cin;
                                if (depthwise)
                                {
                                    int c = o / k3, m = o % k3;
                                    sum += input[pixel + c] * filter[(((((ky * kw) + kx) * cin) + c) * k3) + m];
                                }
                                else
                                {
                                    for (var c = 0; c < cin; c++)
                                    {
                                        sum += input[pixel + c] * filter[(((((ky * kw) + kx) * cin) + c) * k3) + o];
                                    }
                                }
                            }
                        }

                        output[((((b * oh) + oy) * ow) + ox) * cout + o] = (float)sum;
                    }
                }
            }
        }

        return output;
    }

    private static float[] Random(uint seed, long[] shape, double low, double high) =>
        PrngInput.Uniform(seed, (int)shape.Aggregate(1L, (a, b) => a * b), low, high);

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
