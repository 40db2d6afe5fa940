namespace FacePlatform.Training.Heads;

/// <summary>What a data set says about one photo; any part may be missing.</summary>
/// <param name="Subject">Identity label (for the projection head's triplets).</param>
/// <param name="Age">Age in years.</param>
/// <param name="Male">True for male, false for female.</param>
/// <param name="Young">The seed's binary "young" (CelebA's <c>Young</c>; from the age elsewhere).</param>
public sealed record FaceLabels(string? Subject, float? Age, bool? Male, bool? Young);

/// <summary>
/// One face ready for training: the frozen backbone's features and the labels, plus what the pretrained model answered
/// for it in the same pass (the "before" of the final report).
/// </summary>
/// <param name="Path">The photo.</param>
/// <param name="Features">The backbone's L2-normalised embedding.</param>
/// <param name="Labels">The labels.</param>
/// <param name="Validation">True when the sample belongs to the validation split.</param>
/// <param name="PretrainedAge">The backbone's own age answer, when it is multi-task.</param>
/// <param name="PretrainedMale">The backbone's own male probability, when it is multi-task.</param>
public sealed record FaceSample(string Path, float[] Features, FaceLabels Labels, bool Validation, float? PretrainedAge = null, float? PretrainedMale = null);
