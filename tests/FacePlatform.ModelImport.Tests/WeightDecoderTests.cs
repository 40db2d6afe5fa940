using System.Text.Json.Nodes;
using FacePlatform.ModelImport.TensorFlowJs;

namespace FacePlatform.ModelImport.Tests;

/// <summary>Dequantisation as tfjs-core's decodeWeight does it, against hand-computed values.</summary>
public sealed class WeightDecoderTests
{
    [Fact]
    public void Float16_decodes_to_the_exact_float32_values()
    {
        // 0x3C00 = 1, 0xC000 = -2, 0x3555 = 1/3 rounded to 10 mantissa bits = 0.333251953125, 0x7BFF = 65504 (largest
        // half), 0x0001 = 2^-24 (smallest subnormal), 0x8000 = -0, 0x7C00 = +infinity.
        byte[] bytes = [0x00, 0x3C, 0x00, 0xC0, 0x55, 0x35, 0xFF, 0x7B, 0x01, 0x00, 0x00, 0x80, 0x00, 0x7C];
        var values = WeightDecoder.DequantizeFloat16(bytes);
        Assert.Equal([1f, -2f, 0.333251953125f, 65504f, 5.9604644775390625E-08f, -0f, float.PositiveInfinity], values);
        Assert.True(float.IsNegative(values[5]));
    }

    [Fact]
    public void Uint8_is_scaled_and_offset()
    {
        // v * 0.5 - 1: 0 → -1, 1 → -0.5, 2 → 0, 255 → 126.5.
        Assert.Equal([-1f, -0.5f, 0f, 126.5f], WeightDecoder.DequantizeAffine([0, 1, 2, 255], 1, 0.5, -1));

        // In double, then rounded once to float32: 3 * 0.1 + 0.3 = 0.6000000000000001 → 0.6f; 7 * 0.1 + 0.3 → 1f.
        Assert.Equal([0.6f, 1f], WeightDecoder.DequantizeAffine([3, 7], 1, 0.1, 0.3));
    }

    [Fact]
    public void Uint16_is_read_little_endian_then_scaled()
    {
        // 0x9C40 = 40000: 40000 * 0.001 - 30 = 10; 0x0001 = 1: 0.001 - 30 = -29.999.
        Assert.Equal([10f, -29.999f], WeightDecoder.DequantizeAffine([0x40, 0x9C, 0x01, 0x00], 2, 0.001, -30));
    }

    [Fact]
    public void Quantised_weights_in_a_graph_are_decoded_by_dtype()
    {
        var graph = new TestGraph()
            .Weight("w8", [4], "float32", [0, 1, 2, 255], new JsonObject { ["dtype"] = "uint8", ["scale"] = 0.5, ["min"] = -1.0 })
            .Weight("h", [2], "float32", [0x00, 0x3C, 0x00, 0xC0], new JsonObject { ["dtype"] = "float16" })
            // int32 from uint8 rounds like JavaScript's Math.round: -0.5 → 0, 0.5 → 1, 1.5 → 2.
            .Weight("i8", [3], "int32", [1, 3, 5], new JsonObject { ["dtype"] = "uint8", ["scale"] = 0.5, ["min"] = -1.0 })
            .ConstInt("plain", [2], [7, -3])
            .Build();

        Assert.Equal([-1f, -0.5f, 0f, 126.5f], graph.Weights["w8"].Floats!);
        Assert.Equal([1f, -2f], graph.Weights["h"].Floats!);
        Assert.Equal([0L, 1L, 2L], graph.Weights["i8"].Ints!);
        Assert.Equal([7L, -3L], graph.Weights["plain"].Ints!);
    }

    [Fact]
    public void Weight_data_of_the_wrong_length_is_rejected()
    {
        var graph = new TestGraph().Weight("w", [3], "float32", [1, 2], new JsonObject { ["dtype"] = "uint8", ["scale"] = 1.0, ["min"] = 0.0 });
        var error = Assert.Throws<InvalidDataException>(() => graph.Build());
        Assert.Contains("'w'", error.Message, StringComparison.Ordinal);
    }
}
