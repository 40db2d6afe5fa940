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

    /// <summary>
    /// How the pretrained models answer age and gender, <c>SOURCE[+SOURCE…][+flip][@SCALE]</c> or <c>AGE/GENDER</c>
    /// (<see cref="Attributes.AgeGenderVariant"/>): <c>faceres</c> (default: FaceRes's answer from the recogniser's own
    /// pass, nothing run twice), <c>gear</c>, <c>faceapi</c> (face-api.js's net), <c>ensemble</c> (= faceres+gear), the
    /// mean of several (<c>faceres+faceapi</c>), each optionally with flip test-time augmentation (<c>+flip</c>) and a
    /// crop zoom (<c>@1.2</c>), or age and gender from different parts (<c>faceres/faceapi</c>). Chosen by measurement
    /// (docs/accuracy.md, "Age and gender variants" and "face-api's net served, and gender off UTKFace"). Ignored for
    /// faces that <see cref="AgeGenderModel"/> answers.
    /// </summary>
    public string AgeGender { get; set; } = "faceres";

    /// <summary><see cref="AgeGender"/> parsed.</summary>
    /// <exception cref="FormatException">It names no variant (refused at start by validation).</exception>
    public Attributes.AgeGenderVariant AgeGenderVariant => Attributes.AgeGenderVariant.Parse(AgeGender);

    /// <summary>
    /// True when the recogniser's own pass gives the served age and gender (the default variant, or trained heads on
    /// it): the embedding service then returns them with the embedding; otherwise the attributes service computes them.
    /// </summary>
    public bool RecogniserPassAnswersAgeGender => !string.IsNullOrEmpty(AgeGenderModel) || AgeGenderVariant.IsRecogniserPass;
}
