using System.Text;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Imaging;

namespace FacePlatform.Gateway.Tests;

public sealed class JsonPhotoBodyTests
{
    private static readonly HashSet<string> ImageFields = ["image", "image1", "image2"];

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 3)]
    [InlineData(2, 7)]
    [InlineData(200_000, 5)]
    [InlineData(3_000_001, 65_536)]
    public async Task A_base64_photo_decodes_to_its_bytes_whatever_the_read_sizes(int length, int readSize)
    {
        var photo = RandomBytes(length);
        var json = $"{{\"image\":\"{Convert.ToBase64String(photo)}\",\"maxFaces\":3}}";
        var (fields, images) = await ReadAsync(json, readSize: readSize);
        Assert.Equal(photo, images["image"]);
        Assert.Equal("3", fields["maxFaces"]);
    }

    [Fact]
    public async Task Data_urls_escaped_slashes_and_line_breaks_are_read_as_convert_reads_them()
    {
        var photo = RandomBytes(5000);
        var base64 = Convert.ToBase64String(photo, Base64FormattingOptions.InsertLineBreaks);
        var escaped = base64.Replace("/", "\\/", StringComparison.Ordinal).Replace("\r\n", "\\r\\n", StringComparison.Ordinal);
        var json = $"{{ \"image1\" : \"data:image/jpeg;base64,{escaped}\" , \"image2\":\"{Convert.ToBase64String(photo)}\" }}";
        var (_, images) = await ReadAsync(json, readSize: 11);
        Assert.Equal(photo, images["image1"]);
        Assert.Equal(photo, images["image2"]);
    }

    [Fact]
    public async Task A_photo_serialised_by_system_text_json_with_its_escapes_decodes()
    {
        // The default encoder writes '+' as \u002B: this is what JsonContent.Create sends.
        var photo = RandomBytes(30_000);
        var json = System.Text.Json.JsonSerializer.Serialize(new { image = Convert.ToBase64String(photo) });
        Assert.Contains("\\u002B", json, StringComparison.Ordinal);
        var (_, images) = await ReadAsync(json, readSize: 5);
        Assert.Equal(photo, images["image"]);
    }

    [Fact]
    public async Task Other_fields_keep_their_text_as_before()
    {
        var json = """{"collection":"c\u00e9-1","include":["embeddings","landmarks"],"minFaceSize":40,"threshold":0.5,"flag":true,"nested":{"a":[1,{"b":"]}"}]}}""";
        var (fields, images) = await ReadAsync(json, readSize: 4);
        Assert.Empty(images);
        Assert.Equal("cé-1", fields["collection"]);
        Assert.Equal("embeddings,landmarks", fields["include"]);
        Assert.Equal("40", fields["minFaceSize"]);
        Assert.Equal("0.5", fields["threshold"]);
        Assert.Equal("true", fields["flag"]);
        Assert.Equal("""{"a":[1,{"b":"]}"}]}""", fields["nested"]);
    }

    [Fact]
    public async Task A_photo_over_the_limit_is_refused_as_soon_as_it_passes_it_without_reading_the_rest()
    {
        var json = $"{{\"image\":\"{Convert.ToBase64String(RandomBytes(8 * 1024 * 1024))}\"}}";
        var stream = new CountingStream(Encoding.ASCII.GetBytes(json), 64 * 1024);
        var error = await Assert.ThrowsAsync<ApiProblemException>(() =>
            JsonPhotoBody.ReadAsync(stream, ImageFields, maxImageBytes: 1024 * 1024));
        Assert.Equal(413, error.HttpStatus);
        Assert.InRange(stream.Position, 1, 2 * 1024 * 1024);
    }

    [Theory]
    [InlineData("[1,2]", 400)]
    [InlineData("{\"image\":\"not base64!\"}", 400)]
    [InlineData("{\"image\":\"QUJD\"", 400)]
    [InlineData("{\"image\":\"QUJ\"}", 400)]
    [InlineData("{\"image\":\"QU=D\"}", 400)]
    [InlineData("{\"image\":42}", 400)]
    [InlineData("{\"image\":\"QUJD\"} trailing", 400)]
    [InlineData("{\"a\":1,}", 400)]
    [InlineData("{\"a\" 1}", 400)]
    [InlineData("{\"a\":tru}", 400)]
    [InlineData("{\"image\":\"QU\\u0021D\"}", 400)]
    [InlineData("{\"image\":\"QU\\u00zzD\"}", 400)]
    [InlineData("{\"image\":\"QU\\bD\"}", 400)]
    [InlineData("", 400)]
    public async Task Malformed_bodies_are_a_clear_client_error(string json, int status)
    {
        var error = await Assert.ThrowsAsync<ApiProblemException>(() => ReadAsync(json, readSize: 3));
        Assert.Equal(status, error.HttpStatus);
    }

    [Fact]
    public async Task A_huge_non_photo_field_is_refused()
    {
        var json = $"{{\"name\":\"{new string('x', JsonPhotoBody.MaxFieldBytes + 10)}\"}}";
        var error = await Assert.ThrowsAsync<ApiProblemException>(() => ReadAsync(json, readSize: 4096));
        Assert.Equal(413, error.HttpStatus);
    }

    [Fact]
    public async Task Padding_at_the_end_decodes_exactly()
    {
        foreach (var length in new[] { 1, 2, 3, 4, 5 })
        {
            var photo = RandomBytes(length);
            var (_, images) = await ReadAsync($"{{\"image\":\"{Convert.ToBase64String(photo)}\"}}", readSize: 1);
            Assert.Equal(photo, images["image"]);
        }
    }

    private static Task<(Dictionary<string, string> Fields, Dictionary<string, byte[]> Images)> ReadAsync(string json, int readSize) =>
        JsonPhotoBody.ReadAsync(new CountingStream(Encoding.UTF8.GetBytes(json), readSize), ImageFields, maxImageBytes: 20 * 1024 * 1024);

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A stream that hands out at most <c>readSize</c> bytes per read, as a network does, and says how far it was read.</summary>
    private sealed class CountingStream(byte[] data, int readSize) : MemoryStream(data, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, readSize));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);
    }
}
