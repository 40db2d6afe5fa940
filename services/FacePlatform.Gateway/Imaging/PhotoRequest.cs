using System.Text.Json;

namespace FacePlatform.Gateway.Imaging;

/// <summary>
/// A request that carries photos: <c>multipart/form-data</c> (files in fields such as <c>image</c>) or JSON whose image
/// fields hold base64. Other form or JSON fields and the query string become <see cref="Fields"/>.
/// </summary>
internal sealed class PhotoRequest
{
    private static readonly HashSet<string> ImageFields = ["image", "image1", "image2"];

    private PhotoRequest(Dictionary<string, string> fields, Dictionary<string, byte[]> images)
    {
        Fields = fields;
        Images = images;
    }

    public IReadOnlyDictionary<string, string> Fields { get; }

    public IReadOnlyDictionary<string, byte[]> Images { get; }

    public string? Field(string name) => Fields.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    public int IntField(string name)
    {
        var value = Field(name);
        if (value is null)
        {
            return 0;
        }

        return int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : throw Errors.ApiProblemException.BadRequest($"{name} must be a whole number, not '{value}'");
    }

    public float? FloatField(string name)
    {
        var value = Field(name);
        if (value is null)
        {
            return null;
        }

        return float.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && number is >= -1 and <= 1
            ? number
            : throw Errors.ApiProblemException.BadRequest($"{name} must be a number between -1 and 1, not '{value}'");
    }

    public byte[] Image(string name) => Images.TryGetValue(name, out var bytes)
        ? bytes
        : throw Errors.ApiProblemException.BadRequest(
            $"the request has no '{name}': send it as a multipart/form-data file field, or as base64 in a JSON body");

    public byte[]? OptionalImage(string name) => Images.GetValueOrDefault(name);

    public static async Task<PhotoRequest> ReadAsync(HttpRequest request, long maxImageBytes)
    {
        var fields = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var images = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            foreach (var (key, value) in form)
            {
                fields[key] = value.ToString();
            }

            foreach (var file in form.Files)
            {
                if (file.Length > maxImageBytes)
                {
                    throw Errors.ApiProblemException.TooLarge($"'{file.FileName}' has {file.Length} bytes; at most {maxImageBytes} are accepted");
                }

                using var buffer = new MemoryStream((int)file.Length);
                await file.CopyToAsync(buffer, request.HttpContext.RequestAborted);
                images[file.Name] = buffer.ToArray();
            }

            return new PhotoRequest(fields, images);
        }

        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            JsonDocument document;
            try
            {
                document = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            }
            catch (JsonException exception)
            {
                throw Errors.ApiProblemException.BadRequest($"the body is not valid JSON: {exception.Message}");
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw Errors.ApiProblemException.BadRequest("the JSON body must be an object");
                }

                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (ImageFields.Contains(property.Name))
                    {
                        images[property.Name] = DecodeBase64(property);
                    }
                    else
                    {
                        fields[property.Name] = property.Value.ValueKind switch
                        {
                            JsonValueKind.String => property.Value.GetString()!,
                            JsonValueKind.Array => string.Join(',', property.Value.EnumerateArray().Select(e => e.ToString())),
                            _ => property.Value.GetRawText(),
                        };
                    }
                }
            }

            return new PhotoRequest(fields, images);
        }

        throw Errors.ApiProblemException.Unsupported(
            "send the photo as multipart/form-data (field 'image') or as JSON {\"image\": \"<base64>\"}");
    }

    private static byte[] DecodeBase64(JsonProperty property)
    {
        if (property.Value.ValueKind != JsonValueKind.String)
        {
            throw Errors.ApiProblemException.BadRequest($"'{property.Name}' must be a base64 string");
        }

        var text = property.Value.GetString()!;
        // Accept data URLs as browsers make them.
        var comma = text.StartsWith("data:", StringComparison.Ordinal) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        try
        {
            return Convert.FromBase64String(comma >= 0 ? text[(comma + 1)..] : text);
        }
        catch (FormatException)
        {
            throw Errors.ApiProblemException.BadRequest($"'{property.Name}' is not valid base64");
        }
    }
}
