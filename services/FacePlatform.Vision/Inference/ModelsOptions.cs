namespace FacePlatform.Vision.Inference;

/// <summary>Where the models are (configuration section <c>Models</c>, e.g. <c>Models__Directory</c>).</summary>
public sealed class ModelsOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Models";

    /// <summary>Model directory; empty: <c>$FACEPLATFORM_MODELS_DIR</c>, else <c>&lt;repo&gt;/.data/models</c>.</summary>
    public string? Directory { get; set; }
}
