using System.Runtime.InteropServices;
using FacePlatform.ModelImport.Manifest;

namespace FacePlatform.Vision.Tensors;

/// <summary>
/// How a model wants its pixels: <c>value = pixel · Scale + Offset</c> on 0..255 values, RGB (3 channels) or grey
/// (1 channel, ITU-R 601 weights as the emotion model was trained), NHWC.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct PixelFormat(float Scale, float Offset, bool Grey)
{
    /// <summary>Channels per pixel.</summary>
    public int Channels => Grey ? 1 : 3;

    /// <summary>The format a manifest entry describes.</summary>
    public static PixelFormat From(ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!string.Equals(input.Layout, "NHWC", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"Model input '{input.Name}' has layout {input.Layout}; only NHWC is supported.");
        }

        return new PixelFormat((float)input.Scale, (float)input.Offset, string.Equals(input.Colour, "grey", StringComparison.OrdinalIgnoreCase));
    }
}
