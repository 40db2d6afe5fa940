namespace FacePlatform.Vision.Attributes;

/// <summary>Which attributes to compute.</summary>
[Flags]
public enum AttributeKinds
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Age in years.</summary>
    Age = 1,

    /// <summary>Gender label and probability.</summary>
    Gender = 2,

    /// <summary>Seven emotion scores.</summary>
    Emotion = 4,

    /// <summary>Anti-spoofing (real) and liveness (live) scores.</summary>
    Liveness = 8,

    /// <summary>Everything.</summary>
    All = Age | Gender | Emotion | Liveness,
}

/// <summary>One emotion class and its probability.</summary>
/// <param name="Label">angry, disgust, fear, happy, sad, surprise or neutral.</param>
/// <param name="Score">Softmax probability.</param>
public sealed record EmotionScore(string Label, float Score);

/// <summary>Attributes of one face; null parts were not computed.</summary>
/// <param name="Age">Age in years.</param>
/// <param name="Gender">"male" or "female".</param>
/// <param name="GenderProbability">Probability of <paramref name="Gender"/>.</param>
/// <param name="Emotions">All seven classes, highest first.</param>
/// <param name="Real">Anti-spoofing probability that the face is real.</param>
/// <param name="Live">Liveness probability.</param>
/// <param name="ModelIds">Models that produced these values.</param>
public sealed record FaceAttributes(
    float? Age,
    string? Gender,
    float? GenderProbability,
    IReadOnlyList<EmotionScore>? Emotions,
    float? Real,
    float? Live,
    IReadOnlyList<string> ModelIds);
