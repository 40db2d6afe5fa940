using FacePlatform.ModelImport.TensorFlowJs;
using Onnx;

namespace FacePlatform.ModelImport.Conversion;

/// <summary>What to name the converted model's input and outputs.</summary>
/// <param name="InputName">ONNX name of the graph's single input (the TF Placeholder).</param>
/// <param name="Outputs">TF tensor → ONNX output name, in output order.</param>
/// <param name="DocString">Free text stored in the ONNX model.</param>
/// <param name="Metadata">Key/value pairs stored as ONNX metadata_props (source package, licence, …).</param>
/// <param name="ChannelBlock">
/// Convolutions wider than this whose channels are not a multiple of it get zero channels appended up to one, carried
/// through element-wise ops, pooling and channel padding and cut off (Slice) before any other op, so outputs are
/// unchanged. ONNX Runtime's blocked NCHWc layout (16 channels on AVX-512) cannot max-pool a 24-channel tensor and
/// leaves the layout at that point, and for the rest of a residual chain: BlazeFace 4.5 → 3.65 ms per 256² tile on one thread
/// (docs/benchmarks.md). 0 or 1: no padding.
/// </param>
public sealed record ConversionOptions(
    string InputName,
    IReadOnlyList<OutputBinding> Outputs,
    string DocString = "",
    IReadOnlyDictionary<string, string>? Metadata = null,
    int ChannelBlock = 16);

/// <summary>Maps a TF tensor (node name) to a named ONNX output.</summary>
public sealed record OutputBinding(string Source, string Name);

/// <summary>A converted tensor as the outside sees it: name and TF-order shape (-1 = dynamic batch).</summary>
public sealed record TensorSignature(string Name, IReadOnlyList<long> Shape);

/// <summary>The converted model and what was measured while converting it.</summary>
/// <param name="Model">The ONNX model.</param>
/// <param name="Input">Input name and NHWC shape.</param>
/// <param name="Outputs">Output names and shapes.</param>
/// <param name="Parameters">Float weights in the ONNX initializers.</param>
/// <param name="Flops">Floating-point operations of convolutions and matrix products for one input (2 per multiply-add).</param>
public sealed record ConversionResult(
    ModelProto Model,
    TensorSignature Input,
    IReadOnlyList<TensorSignature> Outputs,
    long Parameters,
    long Flops);

/// <summary>
/// Converts a TensorFlow.js graph model to ONNX (opset <see cref="Opset"/>). The ONNX graph takes the same NHWC input
/// as the TF graph, transposes it once to NCHW and keeps 4-D activations in NCHW until an op needs TF's layout
/// (reshape, slicing, outputs). Ops it cannot translate faithfully raise <see cref="UnsupportedTensorFlowOpException"/>.
/// </summary>
public static class TfjsToOnnxConverter
{
    /// <summary>The ONNX opset the converter writes (18: every Reduce* takes axes as an input).</summary>
    public const int Opset = 18;

    /// <summary>The ONNX IR version written (opset 18 needs IR 8).</summary>
    public const long IrVersion = 8;

    /// <summary>Every TF op type the converter translates.</summary>
    public static IReadOnlySet<string> SupportedOps => GraphTranslation.SupportedOps;

    /// <summary>Converts <paramref name="graph"/>; throws <see cref="UnsupportedTensorFlowOpException"/> on any op it cannot translate.</summary>
    public static ConversionResult Convert(TfjsGraphModel graph, ConversionOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        return new GraphTranslation(graph, options).Run();
    }
}
