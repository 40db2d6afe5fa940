using System.Collections.Concurrent;

namespace FacePlatform.Training.Datasets;

/// <summary>
/// What was skipped while reading data sets and their photos, by reason, with a few examples of each: unreadable
/// photos, photos without a face, missing or malformed labels, label files that could not be read. Never fatal.
/// </summary>
public sealed class DatasetReport
{
    private const int ExamplesPerReason = 3;
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _examples = new(StringComparer.Ordinal);

    /// <summary>Skips by reason.</summary>
    public IReadOnlyDictionary<string, int> Skipped => _counts.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Total skips.</summary>
    public int TotalSkipped => _counts.Values.Sum();

    /// <summary>A few examples (file and detail) of <paramref name="reason"/>.</summary>
    public IReadOnlyList<string> ExamplesOf(string reason) => _examples.TryGetValue(reason, out var q) ? [.. q] : [];

    /// <summary>Counts one skip of <paramref name="reason"/>.</summary>
    public void Skip(string reason, string example)
    {
        _counts.AddOrUpdate(reason, 1, (_, n) => n + 1);
        var queue = _examples.GetOrAdd(reason, _ => new ConcurrentQueue<string>());
        if (queue.Count < ExamplesPerReason)
        {
            queue.Enqueue(example);
        }
    }

    /// <summary>One line per reason: count, then examples.</summary>
    public IEnumerable<string> Lines() =>
        _counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Value} skipped: {p.Key} (e.g. {string.Join("; ", ExamplesOf(p.Key))})");
}

/// <summary>Why an item was skipped (the report's reasons).</summary>
public static class SkipReasons
{
    /// <summary>The photo could not be read or decoded.</summary>
    public const string UnreadableImage = "unreadable image";

    /// <summary>The detector found no face.</summary>
    public const string NoFace = "no face found";

    /// <summary>A label line or file name could not be parsed.</summary>
    public const string MalformedLabel = "malformed label";

    /// <summary>A label file (or a whole data set) could not be read.</summary>
    public const string MalformedLabelFile = "unreadable or malformed label file";

    /// <summary>A photo named by a label file does not exist.</summary>
    public const string MissingImage = "image file missing";

    /// <summary>A photo carries none of the labels the chosen heads need.</summary>
    public const string NoUsableLabel = "no label for the chosen heads";
}
