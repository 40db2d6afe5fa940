using System.Text;
using FacePlatform.ServiceDefaults.Errors;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace FacePlatform.Identity.Validation;

/// <summary>
/// The one place identity's handlers check the sizes of what a client stores (<see cref="StoreLimitsOptions"/>). Each
/// refusal is INVALID_ARGUMENT with a field violation naming the field and the limit.
/// </summary>
internal sealed class StoreLimits(IOptions<StoreLimitsOptions> options)
{
    public StoreLimitsOptions Values => options.Value;

    /// <summary>An external id, display name or request id: at most <see cref="StoreLimitsOptions.MaxTextLength"/> characters.</summary>
    public void Text(string value, string field, bool allowEmpty = false) =>
        Length(value, field, allowEmpty ? 0 : 1, options.Value.MaxTextLength);

    /// <summary>A collection's description.</summary>
    public void Description(string value) => Length(value, "description", 0, options.Value.MaxDescriptionLength);

    /// <summary>An API key's name (empty for "unnamed").</summary>
    public void KeyName(string value) => Length(value, "name", 0, options.Value.MaxKeyNameLength);

    /// <summary>A collection's model id (its column holds 100 characters).</summary>
    public static void ModelId(string value) => Length(value, "model_id", 0, 100);

    /// <summary>A subject listing's prefix filter.</summary>
    public void Filter(string value) => Length(value, "filter", 0, options.Value.MaxFilterLength);

    /// <summary>
    /// Metadata as the JSON to store: an object of at most <see cref="StoreLimitsOptions.MaxMetadataBytes"/> bytes and
    /// <see cref="StoreLimitsOptions.MaxMetadataDepth"/> levels, whose numbers are finite (JSON has no NaN) and whose
    /// values are all set.
    /// </summary>
    public string Metadata(Struct? metadata, string field = "metadata")
    {
        if (metadata is null)
        {
            return "{}";
        }

        var limits = options.Value;
        if (Check(metadata, depth: 1, limits.MaxMetadataDepth) is { } problem)
        {
            throw RpcErrors.InvalidArgument(field, $"{field} {problem}");
        }

        var json = JsonFormatter.Default.Format(metadata);
        var bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > limits.MaxMetadataBytes)
        {
            throw RpcErrors.InvalidArgument(field,
                $"{field} must be at most {limits.MaxMetadataBytes} bytes of JSON (Limits:MaxMetadataBytes); this is {bytes}");
        }

        return json;
    }

    private static string? Check(Struct value, int depth, int maxDepth)
    {
        if (depth > maxDepth)
        {
            return $"must nest at most {maxDepth} levels of objects and lists (Limits:MaxMetadataDepth)";
        }

        foreach (var entry in value.Fields)
        {
            if (Check(entry.Value, depth, maxDepth) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? Check(Value? value, int depth, int maxDepth) => value?.KindCase switch
    {
        null or Value.KindOneofCase.None => "has a value with no kind set",
        Value.KindOneofCase.NumberValue when !double.IsFinite(value.NumberValue) => "numbers must be finite (JSON has no NaN or infinity)",
        Value.KindOneofCase.StructValue => Check(value.StructValue, depth + 1, maxDepth),
        Value.KindOneofCase.ListValue => depth + 1 > maxDepth
            ? $"must nest at most {maxDepth} levels of objects and lists (Limits:MaxMetadataDepth)"
            : value.ListValue.Values.Select(v => Check(v, depth + 1, maxDepth)).FirstOrDefault(p => p is not null),
        _ => null,
    };

    private static void Length(string value, string field, int min, int max)
    {
        if (value.Length < min || value.Length > max || (min > 0 && string.IsNullOrWhiteSpace(value)))
        {
            throw RpcErrors.InvalidArgument(field, $"{field} must be {min}–{max} characters; it has {value.Length}");
        }
    }
}
