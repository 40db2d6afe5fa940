using System.Buffers.Binary;
using System.IO.Hashing;

namespace FacePlatform.Testing;

/// <summary>
/// Tiny valid PNGs whose header claims a huge size: the signature, an IHDR with the given width and height (8-bit RGB)
/// and one small IDAT. A decoder that trusts the header before checking limits would try to allocate gigabytes.
/// </summary>
public static class PixelBomb
{
    public static byte[] Png(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        return Assemble(ihdr, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    }

    /// <summary>A PNG of the given IHDR fields and one IDAT of zlib data.</summary>
    public static byte[] Assemble(byte[] ihdr, byte[] idat)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(stream, "IHDR", ihdr);
        WriteChunk(stream, "IDAT", idat);
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        stream.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.HashToUInt32(typed));
        stream.Write(word);
    }
}
