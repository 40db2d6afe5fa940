using System.ComponentModel.DataAnnotations;

namespace FacePlatform.Identity.Validation;

/// <summary>
/// Sizes of what a client may store (section <c>Limits</c>). Every write is checked against them in identity, the
/// source of truth; a value over a limit is INVALID_ARGUMENT naming the field and the limit.
/// </summary>
internal sealed class StoreLimitsOptions
{
    public const string Section = "Limits";

    /// <summary>
    /// Bytes of a subject's metadata as JSON (protobuf's formatting). 16 KiB holds a few hundred short fields. Listings
    /// end a page early once its metadata passes 2 MiB, under gRPC's 4 MB message limit (six subjects of 1 MB broke
    /// the default listing before there was a limit).
    /// </summary>
    [Range(2, 1 << 20)]
    public int MaxMetadataBytes { get; set; } = 16 * 1024;

    /// <summary>Nesting of objects and lists in metadata (the top-level object is depth 1).</summary>
    [Range(1, 100)]
    public int MaxMetadataDepth { get; set; } = 8;

    /// <summary>
    /// Characters of a subject's external id and display name and of an enrolment's request id. The text limits can
    /// only be lowered: the columns hold no more.
    /// </summary>
    [Range(1, 200)]
    public int MaxTextLength { get; set; } = 200;

    /// <summary>Characters of a collection's description.</summary>
    [Range(1, 1000)]
    public int MaxDescriptionLength { get; set; } = 1000;

    /// <summary>Characters of an API key's name.</summary>
    [Range(1, 100)]
    public int MaxKeyNameLength { get; set; } = 100;

    /// <summary>Characters of a subject listing's prefix filter.</summary>
    [Range(1, 10_000)]
    public int MaxFilterLength { get; set; } = 200;
}
