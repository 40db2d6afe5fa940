using FacePlatform.ModelImport.Conversion;

namespace FacePlatform.ModelImport.Tests;

/// <summary>A graph with an op the converter cannot translate fails, naming the op and the node.</summary>
public sealed class UnsupportedOpTests
{
    [Fact]
    public void Control_flow_op_fails_with_op_and_node_in_the_message()
    {
        var graph = new TestGraph()
            .Placeholder("x", -1, 4)
            .Node("loop/while", "While", ["x"])
            .Node("Identity", "Identity", ["loop/while"])
            .Build();

        var error = Assert.Throws<UnsupportedTensorFlowOpException>(
            () => TfjsToOnnxConverter.Convert(graph, new ConversionOptions("x", [new OutputBinding("Identity", "y")])));

        Assert.Equal("While", error.Op);
        Assert.Equal("loop/while", error.Node);
        Assert.Contains("'While'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'loop/while'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_op_outside_the_outputs_path_still_fails()
    {
        var graph = new TestGraph()
            .Placeholder("x", -1, 4)
            .Node("y", "Relu", ["x"])
            .Node("side/switch", "Switch", ["x", "x"])
            .Build();

        var error = Assert.Throws<UnsupportedTensorFlowOpException>(
            () => TfjsToOnnxConverter.Convert(graph, new ConversionOptions("x", [new OutputBinding("y", "y")])));
        Assert.Contains("'Switch'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_fused_activation_fails()
    {
        var graph = new TestGraph()
            .Placeholder("x", -1, 3, 3, 1)
            .Const("w", [1, 1, 1, 1], [2f])
            .Const("b", [1], [0f])
            .Node("conv", "_FusedConv2D", ["x", "w", "b"], new()
            {
                ["strides"] = Attr.Ints(1, 1, 1, 1),
                ["padding"] = Attr.S("VALID"),
                ["fused_ops"] = Attr.Strings("BiasAdd", "Gelu"),
            })
            .Build();

        var error = Assert.Throws<UnsupportedTensorFlowOpException>(
            () => TfjsToOnnxConverter.Convert(graph, new ConversionOptions("x", [new OutputBinding("conv", "y")])));
        Assert.Contains("Gelu", error.Message, StringComparison.Ordinal);
        Assert.Contains("'conv'", error.Message, StringComparison.Ordinal);
    }
}
