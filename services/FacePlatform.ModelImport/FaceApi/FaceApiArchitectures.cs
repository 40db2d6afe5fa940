using FacePlatform.ModelImport.TensorFlowJs;

namespace FacePlatform.ModelImport.FaceApi;

/// <summary>
/// face-api's nets (@vladmandic/face-api 1.7.15, <c>src/</c>), rebuilt layer by layer as TF graphs over the package's
/// weights. Each graph takes the face-api net's input after its resize — NHWC float32 RGB pixels 0..255 at the net's
/// size — and does the net's own normalisation inside. What each builder reproduces is named in its summary; the facts
/// (layer order, strides, paddings, means) were read from the package's TypeScript.
/// </summary>
internal static class FaceApiArchitectures
{
    /// <summary>face-api's mean RGB for the recogniser, landmark, expression and age-gender nets.</summary>
    private static readonly float[] FaceMeanRgb = [122.782f, 117.001f, 104.298f];

    /// <summary>The tiny face detector's mean RGB (<c>tinyFaceDetector/const.ts</c>).</summary>
    private static readonly float[] TinyDetectorMeanRgb = [117.001f, 114.697f, 97.404f];

    /// <summary>
    /// <c>FaceRecognitionNet</c>: a ResNet-34-like net on 150×150 (dlib's face descriptor). Each conv layer is conv +
    /// bias, then a per-channel scale layer (× weights + biases), folded here into the conv. Residual-down blocks add an
    /// average-pooled shortcut, zero-padded in channels (and by one row and column where the strided conv came out
    /// smaller, as face-api does). Output: the 128-d descriptor (not normalised; face-api compares by Euclidean distance).
    /// </summary>
    public static TfjsGraphModel Recognition(IReadOnlyDictionary<string, TfTensor> weights, string generatedBy)
    {
        var g = new FaceApiGraph(weights);
        var x = g.SubtractMeanAndDivide(g.Input(150), FaceMeanRgb, 255f);

        string ConvLayer(string prefix, string input, int stride, string padding, bool relu)
        {
            var scale = g.Floats(prefix + "/scale/weights");
            var shift = g.Floats(prefix + "/scale/biases");
            var bias = g.Floats(prefix + "/conv/bias").Select((b, o) => (b * scale[o]) + shift[o]).ToArray();
            var filter = FaceApiGraph.ScaleFilter(g.Tensor(prefix + "/conv/filters"), scale);
            return g.Conv(prefix, input, filter, bias, stride, padding, relu ? "Relu" : null);
        }

        string Residual(string prefix, string input)
        {
            var out1 = ConvLayer(prefix + "/conv1", input, 1, "SAME", relu: true);
            var out2 = ConvLayer(prefix + "/conv2", out1, 1, "SAME", relu: false);
            return g.Relu(g.Add(out2, input));
        }

        (string Tensor, long Size, long Channels) ResidualDown(string prefix, string input, long size, long channels)
        {
            var out1 = ConvLayer(prefix + "/conv1", input, 2, "VALID", relu: true);
            var out2 = ConvLayer(prefix + "/conv2", out1, 1, "SAME", relu: false);
            var convSize = ((size - 3) / 2) + 1;
            var pooledSize = ((size - 2) / 2) + 1;
            var outChannels = g.Tensor(prefix + "/conv2/conv/filters").Shape[3];
            if (convSize != pooledSize)
            {
                // face-api concatenates one zero row, then one zero column, to the conv output.
                out2 = g.Pad(out2, 0, 0, 0, (int)(pooledSize - convSize), 0, (int)(pooledSize - convSize), 0, 0);
            }

            var pooled = g.Pool("AvgPool", input, 2, 2, "VALID");
            if (outChannels != channels)
            {
                pooled = g.Pad(pooled, 0, 0, 0, 0, 0, 0, 0, (int)(outChannels - channels));
            }

            return (g.Relu(g.Add(pooled, out2)), pooledSize, outChannels);
        }

        var outStem = ConvLayer("conv32_down", x, 2, "VALID", relu: true); // 150 → 72
        var y = g.Pool("MaxPool", outStem, 3, 2, "VALID"); // 72 → 35
        long size = 35, channels = 32;
        foreach (var block in new[] { "conv32_1", "conv32_2", "conv32_3" })
        {
            y = Residual(block, y);
        }

        foreach (var (down, blocks) in new (string, string[])[]
        {
            ("conv64_down", ["conv64_1", "conv64_2", "conv64_3"]),
            ("conv128_down", ["conv128_1", "conv128_2"]),
            ("conv256_down", ["conv256_1", "conv256_2"]),
            ("conv256_down_out", []),
        })
        {
            (y, size, channels) = ResidualDown(down, y, size, channels);
            foreach (var block in blocks)
            {
                y = Residual(block, y);
            }
        }

        var pooledFeatures = g.Mean(y, 1, 2);
        g.Output("descriptor", g.Dense("fc", pooledFeatures, "fc", bias: null));
        return g.Build(generatedBy);
    }

    /// <summary>
    /// <c>AgeGenderNet</c>: TinyXception with two main blocks on 112×112 (entry conv, two reduction blocks, two main
    /// blocks, an exit reduction block and separable conv), 7×7 average pool, then two dense heads: age (years, a
    /// regression) and gender (softmax over [male, female]).
    /// </summary>
    public static TfjsGraphModel AgeGender(IReadOnlyDictionary<string, TfTensor> weights, string generatedBy)
    {
        var g = new FaceApiGraph(weights);
        var x = g.SubtractMeanAndDivide(g.Input(112), FaceMeanRgb, 255f);

        string Reduction(string prefix, string input, bool activateInput)
        {
            var y = activateInput ? g.Relu(input) : input;
            y = g.Separable(prefix + "/separable_conv0", y, 1, "SAME");
            y = g.Separable(prefix + "/separable_conv1", g.Relu(y), 1, "SAME");
            y = g.Pool("MaxPool", y, 3, 2, "SAME");
            var expansion = g.Conv(prefix + "/expansion_conv", input, g.Tensor(prefix + "/expansion_conv/filters"), g.Floats(prefix + "/expansion_conv/bias"), 2, "SAME");
            return g.Add(y, expansion);
        }

        string Main(string prefix, string input)
        {
            var y = g.Separable(prefix + "/separable_conv0", g.Relu(input), 1, "SAME");
            y = g.Separable(prefix + "/separable_conv1", g.Relu(y), 1, "SAME");
            y = g.Separable(prefix + "/separable_conv2", g.Relu(y), 1, "SAME");
            return g.Add(y, input);
        }

        var h = g.Conv("entry_flow/conv_in", x, g.Tensor("entry_flow/conv_in/filters"), g.Floats("entry_flow/conv_in/bias"), 2, "SAME", "Relu");
        h = Reduction("entry_flow/reduction_block_0", h, activateInput: false);
        h = Reduction("entry_flow/reduction_block_1", h, activateInput: true);
        h = Main("middle_flow/main_block_0", h);
        h = Main("middle_flow/main_block_1", h);
        h = Reduction("exit_flow/reduction_block", h, activateInput: true);
        h = g.Separable("exit_flow/separable_conv", h, 1, "SAME", "Relu");
        var pooled = g.Reshape(g.Pool("AvgPool", h, 7, 2, "VALID"), -1, 512);
        g.Output("age", g.Dense("fc/age", pooled, "fc/age/weights", "fc/age/bias"));
        g.Output("gender", g.Op("Softmax", "gender/softmax", g.Dense("fc/gender", pooled, "fc/gender/weights", "fc/gender/bias")));
        return g.Build(generatedBy);
    }

    /// <summary>
    /// face-api's <c>FaceFeatureExtractor</c> (four dense blocks of four convs, 112 → 7) or, with
    /// <paramref name="tiny"/>, <c>TinyFaceFeatureExtractor</c> (three blocks of three, 112 → 14), its average pool, and
    /// the <c>FaceProcessor</c> dense layer; <paramref name="softmax"/> for the expression net.
    /// </summary>
    public static TfjsGraphModel FeatureNet(IReadOnlyDictionary<string, TfTensor> weights, string generatedBy, bool tiny, string output, bool softmax)
    {
        var g = new FaceApiGraph(weights);
        var x = g.SubtractMeanAndDivide(g.Input(112), FaceMeanRgb, 255f);
        var convs = tiny ? 3 : 4;

        string DenseBlock(string prefix, string input, bool first)
        {
            var out1 = first
                ? g.Conv(prefix + "/conv0", input, g.Tensor(prefix + "/conv0/filters"), g.Floats(prefix + "/conv0/bias"), 2, "SAME", "Relu")
                : g.Separable(prefix + "/conv0", input, 2, "SAME", "Relu");
            var sum = out1;
            string? previous = null;
            for (var i = 1; i < convs; i++)
            {
                // in_(i+1) = relu(out1 + … + out_i). face-api adds from the right (out1 + (out2 + (out3 + out4))), this
                // from the left: the same sums up to float32 rounding order.
                var next = g.Separable($"{prefix}/conv{i}", i == 1 ? out1 : g.Relu(sum), 1, "SAME");
                previous = previous is null ? next : g.Add(previous, next);
                sum = g.Add(out1, previous);
            }

            return g.Relu(sum);
        }

        var h = DenseBlock("dense0", x, first: true);
        for (var block = 1; block < (tiny ? 3 : 4); block++)
        {
            h = DenseBlock($"dense{block}", h, first: false);
        }

        var pooled = g.Pool("AvgPool", h, tiny ? 14 : 7, 2, "VALID");
        var channels = (int)g.Tensor("fc/weights").Shape[0];
        var logits = g.Dense("fc", g.Reshape(pooled, -1, channels), "fc/weights", "fc/bias");
        g.Output(output, softmax ? g.Op("Softmax", "softmax", logits) : logits);
        return g.Build(generatedBy);
    }

    /// <summary>
    /// <c>TinyFaceDetector</c> (TinyYolov2 with separable convs) on 416×416: a 3×3 VALID conv, then five separable convs
    /// each after an explicit 1-pixel zero pad, with 2×2 max pools (stride 2, the last stride 1), leaky ReLU (0.1)
    /// after every layer, and a 1×1 conv to 5 anchors × (x, y, w, h, score) on the 13×13 grid. Box decoding and NMS stay
    /// outside the graph.
    /// </summary>
    public static TfjsGraphModel TinyDetector(IReadOnlyDictionary<string, TfTensor> weights, string generatedBy)
    {
        var g = new FaceApiGraph(weights);
        var x = g.SubtractMeanAndDivide(g.Input(416), TinyDetectorMeanRgb, 255f);
        var h = g.LeakyRelu(g.Conv("conv0", x, g.Tensor("conv0/filters"), g.Floats("conv0/bias"), 1, "VALID"), 0.1f);
        for (var i = 1; i <= 5; i++)
        {
            h = g.Pool("MaxPool", h, 2, 2, "SAME");
            h = g.LeakyRelu(g.Separable($"conv{i}", g.Pad(h, 0, 0, 1, 1, 1, 1, 0, 0), 1, "VALID"), 0.1f);
        }

        h = g.Pool("MaxPool", h, 2, 1, "SAME");
        g.Output("grid", g.Conv("conv8", h, g.Tensor("conv8/filters"), g.Floats("conv8/bias"), 1, "VALID"));
        return g.Build(generatedBy);
    }

    /// <summary>
    /// <c>SsdMobilenetv1</c> on 512×512 (pixels/127.5 − 1): MobileNet V1 (depthwise convs with batch norm folded in,
    /// ReLU6), eight extra pointwise layers, six box predictors (3 anchors on 32×32 from layer 11, then 6 anchors on
    /// 16², 8², 4², 2², 1²: 5,118 boxes), and face-api's box decoding against the package's anchors
    /// (<c>Output/extra_dim</c>). Outputs: boxes [n, 5118, 4] as (top, left, bottom, right) relative to the input, and
    /// face scores [n, 5118] (sigmoid). Score threshold and NMS stay outside the graph.
    /// </summary>
    public static TfjsGraphModel Ssd(IReadOnlyDictionary<string, TfTensor> weights, string generatedBy)
    {
        const float epsilon = 0.0010000000474974513f;
        var g = new FaceApiGraph(weights);
        var input = g.Input(512);
        var x = g.Op("Sub", "normalise/sub", g.Op("RealDiv", "normalise/div", input, g.Scalar("normalise/divisor", 127.5f)), g.Scalar("normalise/one", 1f));

        string Pointwise(string prefix, string y, int stride)
        {
            var filter = g.Tensor(prefix + "/weights");
            return g.Conv(prefix, y, filter, g.Floats(prefix + "/convolution_bn_offset"), stride, "SAME", "Relu6");
        }

        string DepthwiseBn(string prefix, string y, int stride)
        {
            var gamma = g.Floats(prefix + "/BatchNorm/gamma");
            var beta = g.Floats(prefix + "/BatchNorm/beta");
            var mean = g.Floats(prefix + "/BatchNorm/moving_mean");
            var variance = g.Floats(prefix + "/BatchNorm/moving_variance");
            var scale = gamma.Select((s, c) => s / MathF.Sqrt(variance[c] + epsilon)).ToArray();
            var bias = beta.Select((b, c) => b - (mean[c] * scale[c])).ToArray();
            var filter = FaceApiGraph.ScaleDepthwiseFilter(g.Tensor(prefix + "/depthwise_weights"), scale);
            return g.DepthwiseBias(prefix, y, filter, bias, stride, "SAME", "Relu6");
        }

        var h = Pointwise("MobilenetV1/Conv2d_0_pointwise", x, 2);
        string? conv11 = null;
        for (var i = 1; i <= 13; i++)
        {
            h = DepthwiseBn($"MobilenetV1/Conv2d_{i}_depthwise", h, i is 2 or 4 or 6 or 12 ? 2 : 1);
            h = Pointwise($"MobilenetV1/Conv2d_{i}_pointwise", h, 1);
            if (i == 11)
            {
                conv11 = h;
            }
        }

        var features = new string[6];
        features[0] = conv11!;
        features[1] = h;
        var p = h;
        for (var i = 0; i < 8; i++)
        {
            p = Pointwise($"Prediction/Conv2d_{i}_pointwise", p, i % 2 == 1 ? 2 : 1);
            if (i % 2 == 1)
            {
                features[2 + (i / 2)] = p;
            }
        }

        int[] gridSizes = [32, 16, 8, 4, 2, 1];
        var boxes = new string[6];
        var classes = new string[6];
        for (var i = 0; i < 6; i++)
        {
            var prefix = $"Prediction/BoxPredictor_{i}";
            var boxFilter = g.Tensor(prefix + "/BoxEncodingPredictor/weights");
            var classFilter = g.Tensor(prefix + "/ClassPredictor/weights");
            var anchors = (int)(boxFilter.Shape[3] / 4) * gridSizes[i] * gridSizes[i];
            var box = g.Conv(prefix + "/BoxEncodingPredictor", features[i], boxFilter, g.Floats(prefix + "/BoxEncodingPredictor/biases"), 1, "SAME");
            var cls = g.Conv(prefix + "/ClassPredictor", features[i], classFilter, g.Floats(prefix + "/ClassPredictor/biases"), 1, "SAME");
            boxes[i] = g.Reshape(box, -1, anchors, 4);
            classes[i] = g.Reshape(cls, -1, anchors, 3);
        }

        // The original TF graph's integer constants (shapes, slice bounds, a concat axis) and its preprocessing
        // scalars, which face-api's TypeScript does not read either.
        g.Ignore([.. weights.Where(w => w.Value.IsInteger || w.Key.StartsWith("Preprocessor/", StringComparison.Ordinal)).Select(w => w.Key)]);

        var encodings = g.Concat(1, boxes);
        var logits = g.Concat(1, classes);

        // Anchor sizes and centres as face-api computes them (float32): size = max − min, centre = min + size / 2.
        var anchorsTensor = g.Tensor("Output/extra_dim");
        var a = anchorsTensor.Floats!;
        var count = a.Length / 4;
        var sizes = new float[count * 2];
        var centres = new float[count * 2];
        for (var k = 0; k < count; k++)
        {
            for (var axis = 0; axis < 2; axis++)
            {
                var extent = a[(4 * k) + 2 + axis] - a[(4 * k) + axis];
                sizes[(2 * k) + axis] = extent;
                centres[(2 * k) + axis] = a[(4 * k) + axis] + (extent / 2f);
            }
        }

        var anchorSizes = g.Constant("anchors/sizes", [count, 2], sizes);
        var anchorCentres = g.Constant("anchors/centres", [count, 2], centres);
        var centre = g.Add(g.Op("Mul", "decode/offset", g.Op("RealDiv", "decode/centre_scale", g.SliceLast(encodings, 3, 0, 2), g.Scalar("decode/ten", 10f)), anchorSizes), anchorCentres);
        var half = g.Op("RealDiv", "decode/half", g.Op("Mul", "decode/extent", g.Op("Exp", "decode/exp", g.Op("RealDiv", "decode/size_scale", g.SliceLast(encodings, 3, 2, 4), g.Scalar("decode/five", 5f))), anchorSizes), g.Scalar("decode/two", 2f));
        g.Output("boxes", g.Concat(2, g.Op("Sub", "decode/min", centre, half), g.Op("AddV2", "decode/max", centre, half)));
        g.Output("scores", g.Op("Sigmoid", "scores", g.SliceLast(logits, 3, 1, 2, shrink: true)));
        return g.Build(generatedBy);
    }
}
