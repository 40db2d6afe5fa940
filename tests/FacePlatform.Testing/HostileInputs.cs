using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FacePlatform.Testing;

/// <summary>
/// The worst requests the memory-bounds test and the soak bench send, generated here (nothing is stored): each is a
/// factory of <see cref="HttpRequestMessage"/> for the gateway's REST API, with the name it is counted under.
/// </summary>
public sealed class HostileInputs
{
    /// <summary>Pixel count of <see cref="DecompressionBombPng"/>: 7280×5456, just under the 40-MP gate.</summary>
    public const int BombWidth = 7280;

    /// <summary>Height of <see cref="DecompressionBombPng"/>.</summary>
    public const int BombHeight = 5456;

    private readonly byte[] _bomb = DecompressionBombPng(BombWidth, BombHeight);
    private readonly byte[] _gif = ManyFrameGif(6000, 6000, frames: 20_000);
    private readonly byte[] _hugeJson = HugeBase64Json(40 * 1024 * 1024);
    private readonly byte[] _truncated;
    private readonly byte[] _photo;

    // gRPC messages are parsed whole before the gateway sees a field, so what counts is their size: a photo-sized
    // run of junk, the bomb padded to a photo's size (decoders stop at IEND), and photos over the limit.
    private readonly byte[] _junk = Junk(GrpcPhotoBytes);
    private readonly byte[] _paddedBomb;
    private readonly byte[] _overLimit = Junk(30 * 1024 * 1024);

    /// <summary>Builds the corpus around <paramref name="photo"/>, a normal JPEG with a face.</summary>
    public HostileInputs(byte[] photo)
    {
        ArgumentNullException.ThrowIfNull(photo);
        _photo = photo;
        _truncated = photo[..(photo.Length / 2)];
        _paddedBomb = [.. _bomb, .. Junk(GrpcPhotoBytes - _bomb.Length)];
    }

    /// <summary>Bytes of each photo in the large gRPC messages: just under the gateway's 20-MB photo limit.</summary>
    public const int GrpcPhotoBytes = (20 * 1024 * 1024) - 4096;

    /// <summary>
    /// The kinds sent to the public gRPC service (<c>FaceService</c>), in turn: Analyze with a photo-sized run of junk,
    /// Verify with two photo-sized padded bombs (a 40-MB message), Verify with two 30-MB photos (over every limit).
    /// </summary>
    public static IReadOnlyList<string> GrpcKinds { get; } = ["grpc-analyze-junk", "grpc-verify-bombs", "grpc-verify-over-limit"];

    /// <summary>The kinds, in the order clients take turns with them.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
        ["pixel-bomb", "huge-json", "many-frame-gif", "header-bomb", "truncated", "garbage", "min-face-1", "bomb-json"];

    /// <summary>The size in bytes of the decompression bomb (for the report).</summary>
    public int BombBytes => _bomb.Length;

    /// <summary>The size in bytes of the many-frame GIF.</summary>
    public int GifBytes => _gif.Length;

    /// <summary>A request of <paramref name="kind"/> (one of <see cref="Kinds"/>) with <paramref name="key"/>.</summary>
    public HttpRequestMessage Create(string kind, string key)
    {
        HttpContent content = kind switch
        {
            "pixel-bomb" => Form(_bomb, "image/png"),
            "huge-json" => Json(_hugeJson),
            "many-frame-gif" => Form(_gif, "image/gif"),
            "header-bomb" => Form(PixelBomb.Png(BombWidth, BombHeight), "image/png"),
            "truncated" => Form(_truncated, "image/jpeg"),
            "garbage" => Form([0x89, (byte)'P', (byte)'N', (byte)'G', .. Encoding.ASCII.GetBytes(new string('x', 4096))], "image/png"),
            "min-face-1" => Form(_photo, "image/jpeg", ("minFaceSize", "1")),
            "bomb-json" => Json(Encoding.ASCII.GetBytes($"{{\"image\":\"{Convert.ToBase64String(_bomb)}\",\"minFaceSize\":20}}")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown kind"),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/analyze", UriKind.Relative)) { Content = content };
        request.Headers.Add("X-Api-Key", key);
        return request;
    }

    /// <summary>
    /// Sends a gRPC call of <paramref name="kind"/> (one of <see cref="GrpcKinds"/>) with <paramref name="key"/> and
    /// returns its status (OK when it succeeded).
    /// </summary>
    public async Task<StatusCode> CallAsync(FaceService.FaceServiceClient client, string kind, string key)
    {
        ArgumentNullException.ThrowIfNull(client);
        var options = new CallOptions(new Metadata { { "x-api-key", key } }, DateTime.UtcNow.AddSeconds(90));
        try
        {
            _ = kind switch
            {
                "grpc-analyze-junk" => (IMessage)await client.AnalyzeAsync(new AnalyzeRequest { Image = Wrap(_junk) }, options),
                "grpc-verify-bombs" => await client.VerifyAsync(new VerifyRequest { Image1 = Wrap(_paddedBomb), Image2 = Wrap(_paddedBomb) }, options),
                "grpc-verify-over-limit" => await client.VerifyAsync(new VerifyRequest { Image1 = Wrap(_overLimit), Image2 = Wrap(_overLimit) }, options),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown kind"),
            };
            return StatusCode.OK;
        }
        catch (RpcException error)
        {
            return error.StatusCode;
        }
    }

    /// <summary>A normal analyse of the face photo.</summary>
    public HttpRequestMessage Normal(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/analyze", UriKind.Relative)) { Content = Form(_photo, "image/jpeg") };
        request.Headers.Add("X-Api-Key", key);
        return request;
    }

    /// <summary>
    /// A valid 8-bit greyscale PNG of <paramref name="width"/>×<paramref name="height"/> black pixels: about 1 KB per
    /// megapixel (deflate's best ratio), every row decodes.
    /// </summary>
    public static byte[] DecompressionBombPng(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 0; // greyscale
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1]; // filter byte 0, then black pixels
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        return PixelBomb.Assemble(ihdr, compressed.ToArray());
    }

    /// <summary>
    /// A GIF89a of a <paramref name="width"/>×<paramref name="height"/> canvas and <paramref name="frames"/> frames of
    /// one pixel each: a decoder that decodes every frame (or composes each onto the canvas) pays the canvas per frame.
    /// </summary>
    public static byte[] ManyFrameGif(int width, int height, int frames)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        Span<byte> size = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(size, (ushort)width);
        gif.Write(size);
        BinaryPrimitives.WriteUInt16LittleEndian(size, (ushort)height);
        gif.Write(size);
        gif.Write([0x80, 0, 0]); // global colour table of 2 entries
        gif.Write([0, 0, 0, 255, 255, 255]);
        for (var i = 0; i < frames; i++)
        {
            gif.Write([0x21, 0xF9, 4, 0, 1, 0, 0, 0]); // graphic control: 10 ms, no disposal
            gif.Write([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]); // a 1×1 frame at (0, 0)
            // LZW, minimum code size 2: clear (4), pixel 0, end (5) in 3-bit codes, least significant bit first.
            gif.Write([2, 2, 0x44, 0x01, 0]);
        }

        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>A JSON body of about <paramref name="bytes"/> bytes whose "image" is base64 of a non-image.</summary>
    public static byte[] HugeBase64Json(int bytes)
    {
        var raw = new byte[bytes / 4 * 3];
        new Random(16).NextBytes(raw);
        return Encoding.ASCII.GetBytes($"{{\"image\":\"{Convert.ToBase64String(raw)}\"}}");
    }

    private static MultipartFormDataContent Form(byte[] bytes, string type, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(type);
        form.Add(file, "image", "photo");
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    // Wrapped, not copied: sixteen clients would otherwise copy 40 MB per call in the test process.
    private static Image Wrap(byte[] bytes) => new() { Content = UnsafeByteOperations.UnsafeWrap(bytes) };

    private static byte[] Junk(int bytes)
    {
        var junk = new byte[bytes];
        new Random(16).NextBytes(junk);
        return junk;
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
