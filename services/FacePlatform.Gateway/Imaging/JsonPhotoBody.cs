using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using FacePlatform.Gateway.Errors;

namespace FacePlatform.Gateway.Imaging;

/// <summary>
/// Reads a JSON request body (one object) from a stream without holding it: photo fields (base64 strings, data URLs
/// accepted) are decoded as their characters arrive, into at most <c>maxImageBytes</c> each, and a photo that would
/// pass the limit is refused (413) at that point; every other field is a small value (at most
/// <see cref="MaxFieldBytes"/>), parsed by System.Text.Json. Memory per request is the decoded photos plus a 64-KB read
/// buffer, whatever the body's size: <c>JsonDocument</c> held the whole body, its base64 text again as a UTF-16
/// string and the decoded bytes (six concurrent 40-MB bodies took the gateway from 0.8 to 1.6 GB).
/// </summary>
internal sealed class JsonPhotoBody
{
    /// <summary>Largest non-photo value (a name, a number, an include list) in bytes.</summary>
    public const int MaxFieldBytes = 64 * 1024;

    private const int ReadSize = 64 * 1024;
    // A multiple of 3, so whole base64 quartets fill a segment exactly, and under the 85-KB large-object threshold: with
    // 768-KB segments the shared pool kept about 80 MB of them on the large object heap after sixteen 40-MB bodies (one
    // per thread that touched it, plus the per-core stacks).
    private const int SegmentSize = 3 * 21845;
    private static readonly SearchValues<byte> StringStops = SearchValues.Create("\"\\ "u8);

    private readonly Stream _body;
    private readonly IReadOnlySet<string> _imageFields;
    private readonly long _maxImageBytes;
    private readonly CancellationToken _cancellationToken;
    private readonly byte[] _buffer = new byte[ReadSize];
    private int _position;
    private int _end;
    private bool _ended;

    private JsonPhotoBody(Stream body, IReadOnlySet<string> imageFields, long maxImageBytes, CancellationToken cancellationToken)
    {
        _body = body;
        _imageFields = imageFields;
        _maxImageBytes = maxImageBytes;
        _cancellationToken = cancellationToken;
    }

    /// <summary>
    /// Reads the object in <paramref name="body"/>: the photos of <paramref name="imageFields"/> decoded from base64,
    /// the other fields as text (strings as they are, arrays joined with commas, anything else as its JSON).
    /// </summary>
    /// <exception cref="ApiProblemException">400 for JSON that is not one object or a photo that is not base64; 413 for a photo over <paramref name="maxImageBytes"/>.</exception>
    public static async Task<(Dictionary<string, string> Fields, Dictionary<string, byte[]> Images)> ReadAsync(
        Stream body, IReadOnlySet<string> imageFields, long maxImageBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(imageFields);
        var reader = new JsonPhotoBody(body, imageFields, maxImageBytes, cancellationToken);
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var images = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        await reader.ReadObjectAsync(fields, images);
        return (fields, images);
    }

    private async Task ReadObjectAsync(Dictionary<string, string> fields, Dictionary<string, byte[]> images)
    {
        if (await NextTokenAsync() != '{')
        {
            throw ApiProblemException.BadRequest("the JSON body must be an object");
        }

        var next = await NextTokenAsync();
        while (next != '}')
        {
            if (next != '"')
            {
                throw NotJson("a property name was expected");
            }

            var name = ParseString(await CaptureValueAsync('"'));
            if (await NextTokenAsync() != ':')
            {
                throw NotJson("':' was expected after a property name");
            }

            var first = await NextTokenAsync();
            if (_imageFields.Contains(name))
            {
                if (first != '"')
                {
                    throw ApiProblemException.BadRequest($"'{name}' must be a base64 string");
                }

                images[name] = await DecodeBase64Async(name);
            }
            else
            {
                fields[name] = FieldText(await CaptureValueAsync(first));
            }

            next = await NextTokenAsync();
            if (next == ',')
            {
                next = await NextTokenAsync();
                if (next == '}')
                {
                    throw NotJson("a trailing comma");
                }
            }
            else if (next != '}')
            {
                throw NotJson("',' or '}' was expected after a value");
            }
        }

        if (await NextTokenAsync() != -1)
        {
            throw NotJson("data after the object");
        }
    }

    /// <summary>The next byte that is not JSON whitespace, consumed; -1 at the end of the body.</summary>
    private async ValueTask<int> NextTokenAsync()
    {
        while (true)
        {
            if (_position == _end && !await FillAsync())
            {
                return -1;
            }

            var b = _buffer[_position++];
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r'))
            {
                return b;
            }
        }
    }

    private async ValueTask<bool> FillAsync()
    {
        if (_ended)
        {
            return false;
        }

        _position = 0;
        _end = await _body.ReadAsync(_buffer, _cancellationToken);
        _ended = _end == 0;
        return !_ended;
    }

    /// <summary>
    /// The raw bytes of the value that starts with <paramref name="first"/> (already consumed), at most
    /// <see cref="MaxFieldBytes"/>: a string to its closing quote, an object or array to its matching bracket, a number
    /// or literal to the next delimiter (left unread).
    /// </summary>
    private async ValueTask<byte[]> CaptureValueAsync(int first)
    {
        if (first < 0)
        {
            throw NotJson("the body ends where a value was expected");
        }

        var value = new ArrayBufferWriter<byte>(64);
        Append(value, (byte)first);
        var depth = first is '{' or '[' ? 1 : 0;
        var inString = first == '"';
        var escaped = false;
        if (first is not ('"' or '{' or '['))
        {
            // A number or literal: it ends before a delimiter, which is left for the caller.
            while (_position < _end || await FillAsync())
            {
                var b = _buffer[_position];
                if (b is (byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
                {
                    break;
                }

                Append(value, b);
                _position++;
            }

            return value.WrittenSpan.ToArray();
        }

        while (true)
        {
            if (_position == _end && !await FillAsync())
            {
                throw NotJson("the body ends inside a value");
            }

            var b = _buffer[_position++];
            Append(value, b);
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == '\\')
                {
                    escaped = true;
                }
                else if (b == '"')
                {
                    inString = false;
                    if (depth == 0)
                    {
                        return value.WrittenSpan.ToArray();
                    }
                }
            }
            else if (b == '"')
            {
                inString = true;
            }
            else if (b is (byte)'{' or (byte)'[')
            {
                depth++;
            }
            else if (b is (byte)'}' or (byte)']' && --depth == 0)
            {
                return value.WrittenSpan.ToArray();
            }
        }
    }

    private static void Append(ArrayBufferWriter<byte> value, byte b)
    {
        if (value.WrittenCount >= MaxFieldBytes)
        {
            throw ApiProblemException.TooLarge($"a JSON field other than a photo has more than {MaxFieldBytes} bytes");
        }

        value.GetSpan(1)[0] = b;
        value.Advance(1);
    }

    /// <summary>
    /// Decodes the base64 string whose opening quote was consumed, as it streams: whitespace and the escapes a JSON
    /// writer may add to base64 (<c>\/</c>, <c>\u002B</c>, <c>\n</c>, <c>\r</c>) are accepted, as <see cref="Convert.FromBase64String"/>
    /// accepted them; a <c>data:…;base64,</c> prefix is skipped.
    /// </summary>
    private async Task<byte[]> DecodeBase64Async(string name)
    {
        var output = new SegmentedBytes(_maxImageBytes, name);
        try
        {
            // Base64 characters waiting to be decoded in whole quartets; the last quartet is held back until the string
            // ends, because only the final one may carry '=' padding.
            var pending = new byte[ReadSize + 8];
            var count = 0;
            var prefixChecked = false;
            while (true)
            {
                if (_position == _end && !await FillAsync())
                {
                    throw NotJson($"the body ends inside '{name}'");
                }

                var span = _buffer.AsSpan(_position, _end - _position);
                var stop = span.IndexOfAny(StringStops);
                var run = stop < 0 ? span : span[..stop];
                if (count + run.Length >= pending.Length)
                {
                    // One slot stays free for a character an escape may add.
                    run = run[..(pending.Length - 1 - count)];
                    stop = -1;
                }

                run.CopyTo(pending.AsSpan(count));
                count += run.Length;
                _position += run.Length;
                if (!prefixChecked && count >= 5)
                {
                    prefixChecked = true;
                    if (pending.AsSpan(0, 5).SequenceEqual("data:"u8))
                    {
                        count = await SkipDataUrlPrefixAsync(pending, count, name);
                        continue;
                    }
                }

                if (stop >= 0 && run.Length == stop)
                {
                    var b = _buffer[_position++];
                    if (b == '"')
                    {
                        output.Decode(pending.AsSpan(0, count), final: true);
                        return output.ToArray();
                    }

                    if (b == '\\')
                    {
                        var escape = await NextRawAsync(name);
                        var character = escape switch
                        {
                            '/' => '/',
                            'n' or 'r' or 't' => ' ',
                            _ => -1,
                        };
                        if (escape == 'u')
                        {
                            // System.Text.Json writes '+' as \u002B (and '=' as \u003D) by default.
                            character = 0;
                            for (var i = 0; i < 4; i++)
                            {
                                character = (character * 16) + HexValue(await NextRawAsync(name), name);
                            }
                        }

                        switch (character)
                        {
                            case '/' or '+' or '=' or (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9'):
                                pending[count++] = (byte)character;
                                break;
                            case '\n' or '\r' or '\t' or ' ':
                                break;
                            default:
                                throw ApiProblemException.BadRequest($"'{name}' is not valid base64");
                        }
                    }
                }

                // Decode all whole quartets but the last; keep the rest for the next round.
                var ready = ((count / 4) - 1) * 4;
                if (ready > 0)
                {
                    output.Decode(pending.AsSpan(0, ready), final: false);
                    pending.AsSpan(ready, count - ready).CopyTo(pending);
                    count -= ready;
                }
            }
        }
        finally
        {
            output.Dispose();
        }
    }

    private static int HexValue(int digit, string name) => digit switch
    {
        >= '0' and <= '9' => digit - '0',
        >= 'a' and <= 'f' => digit - 'a' + 10,
        >= 'A' and <= 'F' => digit - 'A' + 10,
        _ => throw ApiProblemException.BadRequest($"'{name}' has a broken \\u escape"),
    };

    private async ValueTask<int> NextRawAsync(string name)
    {
        if (_position == _end && !await FillAsync())
        {
            throw NotJson($"the body ends inside '{name}'");
        }

        return _buffer[_position++];
    }

    /// <summary>Drops <c>data:…,</c> from the start of <paramref name="pending"/> (reading on if the comma is not there yet).</summary>
    private async ValueTask<int> SkipDataUrlPrefixAsync(byte[] pending, int count, string name)
    {
        while (true)
        {
            var comma = pending.AsSpan(0, count).IndexOf((byte)',');
            if (comma >= 0)
            {
                pending.AsSpan(comma + 1, count - comma - 1).CopyTo(pending);
                return count - comma - 1;
            }

            if (count >= 256)
            {
                throw ApiProblemException.BadRequest($"'{name}' starts like a data URL but has no ',' within 256 characters");
            }

            var b = await NextRawAsync(name);
            if (b == '"')
            {
                throw ApiProblemException.BadRequest($"'{name}' is a data URL without data");
            }

            pending[count++] = (byte)b;
        }
    }

    private static string ParseString(byte[] raw)
    {
        try
        {
            var reader = new Utf8JsonReader(raw);
            reader.Read();
            return reader.GetString()!;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw NotJson(ex.Message);
        }
    }

    private static string FieldText(byte[] raw)
    {
        try
        {
            using var document = JsonDocument.Parse(raw);
            var value = document.RootElement;
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(e => e.ToString())),
                _ => value.GetRawText(),
            };
        }
        catch (JsonException ex)
        {
            throw NotJson(ex.Message);
        }
    }

    private static ApiProblemException NotJson(string reason) =>
        ApiProblemException.BadRequest($"the body is not valid JSON: {reason}");

    /// <summary>Decoded bytes in pooled 64-KB segments (a small size the pool may keep), capped at the photo limit.</summary>
    private sealed class SegmentedBytes(long limit, string name) : IDisposable
    {
        private readonly List<byte[]> _segments = [];
        private long _length;

        public void Decode(ReadOnlySpan<byte> base64, bool final)
        {
            while (!base64.IsEmpty || final)
            {
                if (_segments.Count == 0 || _length == (long)_segments.Count * SegmentSize)
                {
                    _segments.Add(ArrayPool<byte>.Shared.Rent(SegmentSize));
                }

                var offset = (int)(_length - ((long)(_segments.Count - 1) * SegmentSize));
                var room = _segments[^1].AsSpan(offset, SegmentSize - offset);
                // Whole quartets that fit the room (3 bytes each); the final call decodes all that is left.
                var take = Math.Min(base64.Length, room.Length / 3 * 4);
                var last = final && take == base64.Length;
                var status = Base64.DecodeFromUtf8(base64[..take], room, out var consumed, out var written, isFinalBlock: last);
                _length += written;
                if (_length > limit)
                {
                    throw ApiProblemException.TooLarge($"'{name}' decodes to more than {limit} bytes; at most {limit} are accepted");
                }

                if (status is OperationStatus.InvalidData || (last && status != OperationStatus.Done) || consumed < take)
                {
                    throw ApiProblemException.BadRequest($"'{name}' is not valid base64");
                }

                base64 = base64[consumed..];
                if (last)
                {
                    return;
                }
            }
        }

        public byte[] ToArray()
        {
            var result = GC.AllocateUninitializedArray<byte>(checked((int)_length));
            var copied = 0;
            foreach (var segment in _segments)
            {
                var part = Math.Min(SegmentSize, result.Length - copied);
                segment.AsSpan(0, part).CopyTo(result.AsSpan(copied));
                copied += part;
            }

            return result;
        }

        public void Dispose()
        {
            foreach (var segment in _segments)
            {
                ArrayPool<byte>.Shared.Return(segment);
            }

            _segments.Clear();
        }
    }
}
