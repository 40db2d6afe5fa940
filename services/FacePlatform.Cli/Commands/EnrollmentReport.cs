using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FacePlatform.Cli.Commands;

/// <summary>One photo that was not enrolled: refused by the platform (final) or failed (a rerun tries it again).</summary>
internal sealed record EnrollmentProblem(string File, string Person, string Outcome, int? Status, string Reason, string Detail);

/// <summary>The per-file report of <c>facectl enroll-folder</c>: CSV, or JSON when the path ends in <c>.json</c>.</summary>
internal static class EnrollmentReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>A short kind for a refusal, from its status and the platform's explanation.</summary>
    public static string Classify(int status, string detail) => status switch
    {
        413 => "too-big",
        415 => "unsupported-type",
        422 when detail.Contains("no face", StringComparison.OrdinalIgnoreCase) => "no-face",
        422 when detail.Contains(" faces", StringComparison.OrdinalIgnoreCase) => "several-faces",
        400 => "invalid-image",
        _ => "refused",
    };

    public static void Write(string path, IReadOnlyList<EnrollmentProblem> problems)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            File.WriteAllText(path, JsonSerializer.Serialize(problems, Json));
            return;
        }

        var csv = new StringBuilder("file,person,outcome,status,reason,detail\n");
        foreach (var p in problems)
        {
            csv.AppendJoin(',', Field(p.File), Field(p.Person), p.Outcome,
                p.Status?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, p.Reason, Field(p.Detail)).Append('\n');
        }

        File.WriteAllText(path, csv.ToString());
    }

    // RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    private static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
