using System.Text.Json;
using System.Text.Json.Serialization;

namespace FacePlatform.Cli.Commands;

/// <summary>What happened to one photo of a folder enrolment: one JSON line of the state file.</summary>
/// <param name="CollectionId">The collection it went to (a state file may serve several).</param>
/// <param name="File">Its path under the tree's root, with '/'.</param>
/// <param name="Sha256">The SHA-256 of its bytes: a photo replaced under the same name is enrolled again.</param>
/// <param name="Person">The folder name, which is the subject's external id.</param>
/// <param name="SubjectId">The subject's id.</param>
/// <param name="Outcome"><c>enrolled</c>, <c>duplicate</c> (the platform had it already) or <c>refused</c>.</param>
/// <param name="FaceId">The enrolled face's id.</param>
/// <param name="Status">HTTP status of a refusal.</param>
/// <param name="Reason">Short kind of a refusal: no-face, several-faces, too-big, unsupported-type, invalid-image, refused.</param>
/// <param name="Detail">The platform's explanation of a refusal.</param>
internal sealed record EnrollmentRecord(
    string CollectionId, string File, string Sha256, string Person, string SubjectId, string Outcome,
    string? FaceId = null, int? Status = null, string? Reason = null, string? Detail = null)
{
    public const string Enrolled = "enrolled";
    public const string Duplicate = "duplicate";
    public const string Refused = "refused";
}

/// <summary>
/// The state file of <c>facectl enroll-folder</c>: JSON lines, one per photo that reached a final outcome (enrolled or
/// refused), appended and flushed as each finishes, so an interrupted import loses at most the photos in flight and a
/// rerun skips everything recorded. Failures that a retry may cure (platform unavailable, timeouts) are not recorded.
/// </summary>
internal sealed class EnrollmentState : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    private EnrollmentState(string path, List<EnrollmentRecord> records)
    {
        Records = records;
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    /// <summary>Every record read at open, in file order, then the ones added since.</summary>
    public List<EnrollmentRecord> Records { get; }

    /// <summary>Opens (or creates) the state file at <paramref name="path"/>; a torn last line (a crash mid-write) is ignored.</summary>
    public static EnrollmentState Open(string path)
    {
        var records = new List<EnrollmentRecord>();
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                try
                {
                    if (JsonSerializer.Deserialize<EnrollmentRecord>(line, Json) is { } record)
                    {
                        records.Add(record);
                    }
                }
                catch (JsonException)
                {
                    // Only the last line can be torn; the photo it names is simply sent again (idempotently).
                }
            }
        }

        return new EnrollmentState(path, records);
    }

    /// <summary>Appends <paramref name="record"/> and flushes it to disk.</summary>
    public void Add(EnrollmentRecord record)
    {
        lock (_lock)
        {
            Records.Add(record);
            _writer.WriteLine(JsonSerializer.Serialize(record, Json));
            _writer.Flush();
        }
    }

    public void Dispose() => _writer.Dispose();
}
