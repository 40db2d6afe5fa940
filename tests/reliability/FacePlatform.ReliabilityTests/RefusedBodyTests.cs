using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace FacePlatform.ReliabilityTests;

/// <summary>
/// A client whose body the gateway refuses part-way reads the refusal, not a connection reset: Kestrel on its own
/// drains an unread HTTP/1.1 body for at most 5 s after the answer and then resets the connection, which HttpClient,
/// still sending, reports instead of the answer (MemoryBoundsTests saw this for 40-MB JSON bodies under load).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class RefusedBodyTests(ReliabilityPlatform platform)
{
    // 16 MB at about 2 MB/s: the body is still arriving well over 5 s after the gateway refused its first bytes.
    private const int BodyBytes = 16 * 1024 * 1024;
    private const int ChunkBytes = 128 * 1024;
    private static readonly TimeSpan ChunkPause = TimeSpan.FromMilliseconds(64);

    [Fact]
    public async Task A_json_body_refused_at_its_first_bytes_gets_its_400_while_the_client_is_still_sending()
    {
        var (_, key) = await platform.NewTenantAsync();
        // Not base64 from its first character: refused as soon as the first read arrives.
        var content = new SlowBody(Encoding.ASCII.GetBytes("{\"image\":\"!!!!"), (byte)'A', BodyBytes);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/analyze", UriKind.Relative)) { Content = content };
        request.Headers.Add("X-Api-Key", key);
        using var http = new HttpClient { BaseAddress = platform.Gateway.HttpAddress, Timeout = TimeSpan.FromSeconds(90) };

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("base64", body, StringComparison.Ordinal);
        Assert.Equal(BodyBytes, content.Sent);
    }

    /// <summary>A body of <c>length</c> bytes: <c>start</c>, then <c>filler</c>, written a chunk at a time with pauses.</summary>
    private sealed class SlowBody : HttpContent
    {
        private readonly byte[] _start;
        private readonly byte _filler;
        private readonly int _length;

        public SlowBody(byte[] start, byte filler, int length)
        {
            (_start, _filler, _length) = (start, filler, length);
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        public int Sent { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[ChunkBytes];
            Array.Fill(chunk, _filler);
            _start.CopyTo(chunk, 0);
            while (Sent < _length)
            {
                var count = Math.Min(chunk.Length, _length - Sent);
                if (Sent == ChunkBytes)
                {
                    Array.Fill(chunk, _filler);
                }

                await stream.WriteAsync(chunk.AsMemory(0, count));
                await stream.FlushAsync();
                Sent += count;
                await Task.Delay(ChunkPause);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}
