using System.Collections;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FacePlatform.Identity.Validation;

/// <summary>
/// Checks every string of a request, at any depth (metadata structs, map keys and lists included), through protobuf
/// reflection: PostgreSQL refuses NUL in text and jsonb, and a lone surrogate is not text at all, so both are
/// INVALID_ARGUMENT naming the field, for every method of the service, present and future.
/// </summary>
internal static class RequestText
{
    /// <summary>The first bad string of <paramref name="message"/>: its field path and what is wrong; null when all are text.</summary>
    public static (string Field, string Problem)? FindInvalid(IMessage message) => Walk(message, string.Empty);

    /// <summary>Why <paramref name="value"/> cannot be stored as text, or null when it can.</summary>
    public static string? Problem(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return "must not contain NUL characters";
        }

        // Protobuf would write an unpaired surrogate to UTF-8 as U+FFFD, silently changing what the client sent.
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return "must be valid Unicode text (it has an unpaired surrogate)";
            }
        }

        return null;
    }

    private static (string, string)? Walk(IMessage message, string path)
    {
        // Protobuf's parser refuses nesting deeper than 100, so this recursion is bounded.
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var name = path.Length == 0 ? field.JsonName : path + "." + field.JsonName;
            var value = field.Accessor.GetValue(message);
            var found = field switch
            {
                { IsMap: true } => WalkMap((IDictionary)value, field, name),
                { IsRepeated: true } => WalkList((IList)value, field, name),
                _ => WalkValue(value, field.FieldType, name),
            };
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    private static (string, string)? WalkMap(IDictionary map, FieldDescriptor field, string path)
    {
        var valueField = field.MessageType.FindFieldByNumber(2);
        foreach (DictionaryEntry entry in map)
        {
            var key = entry.Key as string;
            if (key is not null && Problem(key) is { } keyProblem)
            {
                return (path, "keys " + keyProblem);
            }

            var found = WalkValue(entry.Value, valueField.FieldType, $"{path}[{Quote(key ?? entry.Key.ToString())}]");
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    private static (string, string)? WalkList(IList list, FieldDescriptor field, string path)
    {
        for (var i = 0; i < list.Count; i++)
        {
            var found = WalkValue(list[i], field.FieldType, $"{path}[{i}]");
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    private static (string, string)? WalkValue(object? value, FieldType type, string path) => value switch
    {
        string text when type == FieldType.String && Problem(text) is { } problem => (path, problem),
        IMessage nested => Walk(nested, path),
        _ => null,
    };

    private static string Quote(string? key)
    {
        var builder = new StringBuilder(key?.Length ?? 0);
        foreach (var c in key ?? string.Empty)
        {
            builder.Append(c is '\0' || char.IsSurrogate(c) || char.IsControl(c) ? '?' : c);
        }

        return builder.Length > 64 ? "\"" + builder.ToString(0, 64) + "…\"" : "\"" + builder + "\"";
    }
}
