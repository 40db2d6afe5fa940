using System.Drawing;
using System.Text.Json;

namespace FacePlatform.Cli.Commands;

/// <summary>One labelled photo of a data set's <c>manifest.json</c> (../shared/data/faces/*/manifest.json).</summary>
internal sealed record LabelledPhoto(
    string Path,
    string? Identity,
    int? FaceCount,
    IReadOnlyList<RectangleF> Boxes,
    IReadOnlyList<PointF> NosePoints,
    float? Age,
    string? Gender,
    string? SamePhotoGroup,
    IReadOnlyList<string> Categories)
{
    public bool IsMalformed => Categories.Contains("malformed");

    /// <summary>The folder of the manifest that lists this photo (empty for photos named by an LFW pairs file).</summary>
    public string DataSet { get; init; } = string.Empty;

    /// <summary>Photos of every <c>manifest.json</c> at or directly below the given folders.</summary>
    public static List<LabelledPhoto> Load(IEnumerable<string> folders)
    {
        var photos = new List<LabelledPhoto>();
        foreach (var folder in folders)
        {
            var manifests = File.Exists(System.IO.Path.Combine(folder, "manifest.json"))
                ? [System.IO.Path.Combine(folder, "manifest.json")]
                : Directory.EnumerateDirectories(folder).Select(d => System.IO.Path.Combine(d, "manifest.json")).Where(File.Exists).Order(StringComparer.Ordinal).ToList();
            foreach (var manifest in manifests)
            {
                photos.AddRange(Read(manifest));
            }
        }

        return photos;
    }

    private static IEnumerable<LabelledPhoto> Read(string manifest)
    {
        var root = System.IO.Path.GetDirectoryName(manifest)!;
        using var document = JsonDocument.Parse(File.ReadAllBytes(manifest));
        foreach (var file in document.RootElement.GetProperty("files").EnumerateArray())
        {
            string? Text(string name) => file.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            float? Number(string name) => file.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : null;
            List<float[]> Arrays(string name) => file.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
                ? [.. v.EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetSingle()).ToArray())]
                : [];
            var categories = file.TryGetProperty("categories", out var c) ? c.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList() : [];
            yield return new LabelledPhoto(
                System.IO.Path.Combine(root, Text("file")!),
                Text("identity"),
                Number("face_count") is { } count ? (int)count : null,
                [.. Arrays("boxes").Select(b => new RectangleF(b[0], b[1], b[2], b[3]))],
                [.. Arrays("nose_points").Select(p => new PointF(p[0], p[1]))],
                Number("age"),
                Text("gender"),
                Text("same_photo_group"),
                categories)
            {
                DataSet = root,
            };
        }
    }
}
