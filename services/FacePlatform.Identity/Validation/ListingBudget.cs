using System.Text;

namespace FacePlatform.Identity.Validation;

/// <summary>
/// How many subjects one listing answer holds: a page ends early (with a token) once its metadata passes
/// <see cref="MetadataBytes"/>, so that no answer outgrows gRPC's 4 MB message limit — six subjects with 1 MB of
/// metadata each made the default listing fail for good, reported by the gateway as a misleading 429.
/// </summary>
internal static class ListingBudget
{
    /// <summary>Metadata bytes of one listing; with the other fields a page stays well under 4 MB.</summary>
    public const long MetadataBytes = 2L << 20;

    /// <summary>Bytes of a listed subject besides its metadata (ids, names, counts, framing), counted generously.</summary>
    public const int BytesPerSubject = 1024;

    /// <summary>The number of leading subjects (by their metadata JSON) that fit one answer; always at least one.</summary>
    public static int Fit(IReadOnlyList<string> metadata, long budget = MetadataBytes)
    {
        var bytes = 0L;
        for (var i = 0; i < metadata.Count; i++)
        {
            bytes += Encoding.UTF8.GetByteCount(metadata[i]) + BytesPerSubject;
            if (bytes > budget && i > 0)
            {
                return i;
            }
        }

        return metadata.Count;
    }
}
