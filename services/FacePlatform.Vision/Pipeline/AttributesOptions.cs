namespace FacePlatform.Vision.Pipeline;

/// <summary>Which models answer age and gender (configuration section <c>Attributes</c>, e.g. <c>Attributes__AgeGenderModel</c>).</summary>
public sealed class AttributesOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Attributes";

    /// <summary>
    /// A model made by <c>facectl train</c> whose heads answer age and gender in place of the pretrained ones (empty:
    /// the pretrained models). It is applied to faces embedded by the recogniser it was trained on and to no other, so
    /// a collection's recogniser and its embeddings never change; heads it lacks are still answered by the pretrained
    /// model.
    /// </summary>
    public string? AgeGenderModel { get; set; }
}
