using FacePlatform.Vision.Detection;

namespace FacePlatform.Vision.Pipeline;

/// <summary>
/// One named trade of accuracy for speed: which recogniser answers when no collection names one, and the detection
/// knobs. Unset values keep the service's configured ones (<see cref="DetectionOptions"/>, <see cref="RecognitionOptions"/>).
/// </summary>
public sealed class InferenceProfile
{
    /// <summary>
    /// Recogniser for requests that are not bound to a collection (analyse without a collection, detect, verify of two
    /// photos); null: <see cref="RecognitionOptions.DefaultModel"/>. A collection's own recogniser always wins: its
    /// vectors were made by that model id, and vectors of two models are never compared.
    /// </summary>
    public string? Recogniser { get; set; }

    /// <summary>Detector model; null: <see cref="DetectionOptions.Detector"/>.</summary>
    public string? Detector { get; set; }

    /// <summary>False: no mesh stage (BlazeFace keypoints only, no mesh verification of candidates); null: as configured.</summary>
    public bool? Mesh { get; set; }

    /// <summary>Replaces <see cref="DetectionOptions.MinFaceFraction"/> (fewer tiles when larger); null: as configured.</summary>
    public float? MinFaceFraction { get; set; }

    /// <summary>Replaces <see cref="DetectionOptions.PaddedView"/> (0: no extra whole-photo view); null: as configured.</summary>
    public float? PaddedView { get; set; }

    /// <summary>A copy of <paramref name="detection"/> with this profile's detection knobs applied.</summary>
    public DetectionOptions Apply(DetectionOptions detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        var copy = detection.Clone();
        copy.Detector = Detector ?? detection.Detector;
        copy.Mesh = Mesh == false ? string.Empty : detection.Mesh;
        copy.MinFaceFraction = MinFaceFraction ?? detection.MinFaceFraction;
        copy.PaddedView = PaddedView ?? detection.PaddedView;
        return copy;
    }
}

/// <summary>
/// The named profiles (configuration section <c>Profiles</c>) — the one place that maps a profile name to models and
/// knobs. Requests choose one by name (REST <c>profile</c>, gRPC <c>profile</c>), else their collection's (created with
/// one; the gateway asks the embedding service's <c>ListProfiles</c> for the names); an unknown name is a client error.
/// Built in: <see cref="Accurate"/> (the configured defaults) and <see cref="Fast"/> (docs/benchmarks.md, "Profiles",
/// has the measured frontier behind each choice).
/// </summary>
public sealed class ProfileOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Profiles";

    /// <summary>The configured defaults: float FaceRes, BlazeFace with the mesh and the padded whole-photo view.</summary>
    public const string Accurate = "accurate";

    /// <summary>
    /// int8 FaceRes for requests without a collection, and the recogniser of a collection created with this profile and no
    /// model id (2–3× faster per face on the CPU, embedding cosine ≥ 0.99 with
    /// the float model); detection as configured. Dropping the mesh stage was measured too and not kept: ~1.3 ms per
    /// face, a gain lost in the noise of two rounds, and without its face-presence check 90 candidates passed on the
    /// reference photos where the mesh keeps the 78 faces the harness finds (docs/benchmarks.md, "Profiles"). The detector
    /// stays float: <c>blazeface-back-int8</c> was measured 1.2× slower per tile and far less precise (docs/benchmarks.md,
    /// "Precision variants and profiles").
    /// </summary>
    public const string Fast = "fast";

    /// <summary>The profile used when a request names none.</summary>
    public string Default { get; set; } = Accurate;

    /// <summary>Profiles by name; configuration may add profiles or change the built-in ones.</summary>
    public Dictionary<string, InferenceProfile> Profiles { get; init; } = new(StringComparer.Ordinal)
    {
        [Accurate] = new InferenceProfile(),
        [Fast] = new InferenceProfile { Recogniser = "faceres-int8" },
    };

    /// <summary>The profile called <paramref name="name"/> (empty: <see cref="Default"/>).</summary>
    /// <exception cref="UnknownProfileException">No profile has that name.</exception>
    public (string Name, InferenceProfile Profile) Resolve(string? name)
    {
        var key = string.IsNullOrEmpty(name) ? Default : name;
        return Profiles.TryGetValue(key, out var profile)
            ? (key, profile)
            : throw new UnknownProfileException(key, Profiles.Keys);
    }

    /// <summary>True when <paramref name="name"/> is empty or names a profile.</summary>
    public bool IsKnown(string? name) => string.IsNullOrEmpty(name) || Profiles.ContainsKey(name);
}

/// <summary>A request named a profile that is not configured (a client error: 400 / INVALID_ARGUMENT).</summary>
public sealed class UnknownProfileException(string name, IEnumerable<string> known)
    : ArgumentException($"unknown profile '{name}'; known profiles: {string.Join(", ", known.Order(StringComparer.Ordinal))}")
{
    /// <summary>The name asked for.</summary>
    public string Name { get; } = name;
}
