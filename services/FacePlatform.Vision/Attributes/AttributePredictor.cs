using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Vision.Attributes;

/// <summary>An aligned crop and the template it was cut with.</summary>
/// <param name="Image">The crop.</param>
/// <param name="Template">Its framing.</param>
public sealed record FramedCrop(RgbImage Image, AlignmentTemplate Template);

/// <summary>
/// The attribute stages of the pipeline, from aligned crops, never from the photo: each
/// <see cref="IFaceAttributePredictor"/> (age and gender, emotion, anti-spoofing, liveness, …) that one request needs
/// runs concurrently on all crops in one batch, and their answers are merged in the stages' order (the first stage to
/// answer an attribute gives it).
/// </summary>
public sealed class AttributePredictor
{
    private const AttributeKinds AgeGenderKinds = AttributeKinds.Age | AttributeKinds.Gender;

    /// <summary>Creates the predictor over its stages, in the order their answers and model ids are reported.</summary>
    /// <param name="stages">The stages.</param>
    /// <param name="usesRecogniserAgeGender">
    /// True when the recogniser's own age and gender (<c>known</c> in <see cref="PredictAsync"/>) is the answer wanted;
    /// false when the age and gender stage computes its own for every face (an <see cref="AgeGenderVariant"/> other
    /// than the recogniser's pass).
    /// </param>
    public AttributePredictor(IEnumerable<IFaceAttributePredictor> stages, bool usesRecogniserAgeGender = true)
    {
        ArgumentNullException.ThrowIfNull(stages);
        Stages = [.. stages];
        UsesRecogniserAgeGender = usesRecogniserAgeGender;
    }

    /// <summary>True when a face's age and gender from the recogniser's pass is taken as it is (no age and gender stage runs for it).</summary>
    public bool UsesRecogniserAgeGender { get; }

    /// <summary>The stages, in order.</summary>
    public IReadOnlyList<IFaceAttributePredictor> Stages { get; }

    /// <summary>Ids of the models of every stage.</summary>
    public IEnumerable<string> ModelIds => Stages.SelectMany(s => s.ModelIds).Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Predicts <paramref name="include"/> for every crop. When <paramref name="known"/> gives a face's age and gender
    /// (from the recogniser's own pass) and <see cref="UsesRecogniserAgeGender"/>, no age and gender stage is run for it;
    /// otherwise the age and gender stage answers every face.
    /// </summary>
    public async Task<IReadOnlyList<FaceAttributes>> PredictAsync(
        IReadOnlyList<FramedCrop> crops, AttributeKinds include, IReadOnlyList<AgeGender?>? known = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        if (!UsesRecogniserAgeGender)
        {
            known = null;
        }

        var needAgeGender = (include & AgeGenderKinds) != 0 && (known is null || known.Any(k => k is null));
        var wanted = needAgeGender ? include : include & ~AgeGenderKinds;
        var tasks = Stages.Select(s => (s.Answers & wanted) != 0 ? s.PredictAsync(crops, cancellationToken) : null).ToList();
        await Task.WhenAll(tasks.Where(t => t is not null).Select(t => t!));

        var results = new List<FaceAttributes>(crops.Count);
        for (var i = 0; i < crops.Count; i++)
        {
            var models = new List<string>();
            var ageGender = known?[i];
            float? age = ageGender?.Age;
            var gender = ageGender?.GenderLabel;
            float? genderProbability = ageGender?.GenderProbability;
            IReadOnlyList<EmotionScore>? emotions = null;
            float? real = null;
            float? live = null;
            var open = ageGender is null ? wanted : wanted & ~AgeGenderKinds;
            for (var s = 0; s < Stages.Count; s++)
            {
                if (tasks[s] is not { } task || (Stages[s].Answers & open) == 0)
                {
                    continue;
                }

                var answer = task.Result[i];
                if ((Stages[s].Answers & open & AgeGenderKinds) != 0)
                {
                    (age, gender, genderProbability) = (answer.Age, answer.Gender, answer.GenderProbability);
                }

                emotions ??= answer.Emotions;
                real ??= answer.Real;
                live ??= answer.Live;
                models.AddRange(answer.ModelIds);
                // One source per attribute: later stages do not answer age, gender or emotion again. Liveness stays
                // open, since anti-spoofing (Real) and liveness (Live) are two stages answering that one kind.
                open &= ~(Stages[s].Answers & (AgeGenderKinds | AttributeKinds.Emotion));
            }

            var wantAge = (include & AttributeKinds.Age) != 0;
            var wantGender = (include & AttributeKinds.Gender) != 0;
            results.Add(new FaceAttributes(
                wantAge ? age : null,
                wantGender ? gender : null,
                wantGender ? genderProbability : null,
                emotions,
                real,
                live,
                models));
        }

        return results;
    }
}
