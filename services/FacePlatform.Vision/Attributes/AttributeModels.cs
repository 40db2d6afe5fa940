using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Attributes;

/// <summary>
/// The crop every attribute model of Human's family gets: Human's face framing (<see cref="AlignmentTemplate.HumanBox"/>)
/// at the model's own input size, re-cut from whatever framing the crop has, all crops in one batch.
/// </summary>
public static class HumanFramedCrops
{
    /// <summary>Runs <paramref name="runner"/> on <paramref name="crops"/> re-cut to <see cref="AlignmentTemplate.HumanBox"/>.</summary>
    public static Task<ModelOutputs> RunAsync(ModelRunner runner, IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(crops);
        var model = runner.Model;
        var size = model.InputWidth;
        return runner.RunAsync(crops.Count, (i, sample) =>
        {
            var crop = crops[i];
            var transform = AlignmentTemplate.HumanBox.ToCrop(crop.Template, crop.Image.Width, size);
            ImageSampler.Warp(crop.Image, transform, size, size, model.Format, sample);
        }, cancellationToken);
    }
}

/// <summary>Age and gender from FaceRes's own heads (family <c>faceres</c>): 100 one-year age bins and a male sigmoid.</summary>
/// <param name="runner">The FaceRes runner.</param>
/// <param name="readout">How the age bins are read.</param>
public sealed class FaceResAgeGenderPredictor(ModelRunner runner, AgeReadout readout = AgeReadout.Expected) : IFaceAttributePredictor
{
    /// <inheritdoc />
    public AttributeKinds Answers => AttributeKinds.Age | AttributeKinds.Gender;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelIds { get; } = [runner.Model.Name];

    /// <inheritdoc />
    public async Task<IReadOnlyList<FaceAttributes>> PredictAsync(IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken = default)
    {
        var outputs = await HumanFramedCrops.RunAsync(runner, crops, cancellationToken);
        return [.. Enumerable.Range(0, crops.Count).Select(i => From(AgeGender.From(outputs.Row("age", i), outputs.Row("gender", i)[0], readout), ModelIds))];
    }

    /// <summary>Attributes holding only <paramref name="ageGender"/> (none when it is null).</summary>
    public static FaceAttributes From(AgeGender? ageGender, IReadOnlyList<string> modelIds) =>
        new(ageGender?.Age, ageGender?.GenderLabel, ageGender?.GenderProbability, null, null, null, modelIds);
}

/// <summary>
/// Age and gender from a multi-task recogniser's pass on the crop (e.g. a recogniser with trained heads): the crop as it is
/// when cut with the recogniser's template (the embedding service's crops for it, so the features equal the ones it
/// trained on), re-cut to its template otherwise.
/// </summary>
/// <param name="recogniser">A recogniser whose <see cref="IFaceRecogniser.IsMultiTask"/> is true.</param>
public sealed class RecogniserAgeGenderPredictor(IFaceRecogniser recogniser) : IFaceAttributePredictor
{
    /// <inheritdoc />
    public AttributeKinds Answers => AttributeKinds.Age | AttributeKinds.Gender;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelIds => recogniser.ModelIds;

    /// <inheritdoc />
    public async Task<IReadOnlyList<FaceAttributes>> PredictAsync(IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        var size = recogniser.InputSize;
        var recut = crops.Select(c => c.Template == recogniser.Template ? null
            : ImageSampler.WarpToImage(c.Image, recogniser.Template.ToCrop(c.Template, c.Image.Width, size), size, size)).ToList();
        try
        {
            var recognitions = await recogniser.EmbedAsync([.. crops.Select((c, i) => recut[i] ?? c.Image)], cancellationToken);
            return [.. recognitions.Select(r => FaceResAgeGenderPredictor.From(r.AgeGender, recogniser.AgeGenderModelIds))];
        }
        finally
        {
            foreach (var image in recut)
            {
                image?.Dispose();
            }
        }
    }
}

/// <summary>Seven emotion scores from mini-Xception (family <c>emotion</c>).</summary>
/// <param name="runner">The emotion runner.</param>
public sealed class EmotionPredictor(ModelRunner runner) : IFaceAttributePredictor
{
    private static readonly string[] Labels = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];

    /// <inheritdoc />
    public AttributeKinds Answers => AttributeKinds.Emotion;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelIds { get; } = [runner.Model.Name];

    /// <inheritdoc />
    public async Task<IReadOnlyList<FaceAttributes>> PredictAsync(IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken = default)
    {
        var outputs = await HumanFramedCrops.RunAsync(runner, crops, cancellationToken);
        var output = outputs.Has("emotion") ? "emotion" : runner.Model.Entry.Outputs[0].Name;
        return [.. Enumerable.Range(0, crops.Count).Select(i =>
        {
            var p = outputs.Row(output, i).ToArray();
            return new FaceAttributes(null, null, null, [.. Labels.Select((label, k) => new EmotionScore(label, p[k])).OrderByDescending(e => e.Score)], null, null, ModelIds);
        })];
    }
}

/// <summary>
/// One probability per face from a single-output model, as <see cref="FaceAttributes.Real"/> (family <c>antispoof</c>)
/// or <see cref="FaceAttributes.Live"/> (family <c>liveness</c>); both answer <see cref="AttributeKinds.Liveness"/>.
/// </summary>
/// <param name="runner">The model's runner; its first output's first value is read.</param>
/// <param name="live">True: the score is liveness; false: anti-spoofing.</param>
public sealed class SpoofScorePredictor(ModelRunner runner, bool live) : IFaceAttributePredictor
{
    /// <inheritdoc />
    public AttributeKinds Answers => AttributeKinds.Liveness;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelIds { get; } = [runner.Model.Name];

    /// <inheritdoc />
    public async Task<IReadOnlyList<FaceAttributes>> PredictAsync(IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken = default)
    {
        var outputs = await HumanFramedCrops.RunAsync(runner, crops, cancellationToken);
        var output = runner.Model.Entry.Outputs[0].Name;
        return [.. Enumerable.Range(0, crops.Count).Select(i =>
        {
            var score = outputs.Row(output, i)[0];
            return new FaceAttributes(null, null, null, null, live ? null : score, live ? score : null, ModelIds);
        })];
    }
}

/// <summary>
/// Age and gender by an <see cref="AgeGenderVariant"/> (<c>Attributes:AgeGender</c>): FaceRes, GEAR and/or face-api's net at the
/// variant's crop scale, with mirror images when it flips, combined by <see cref="AgeGenderEstimator"/>.
/// </summary>
public sealed class AgeGenderVariantPredictor : IFaceAttributePredictor
{
    private readonly AgeGenderEstimator _estimator;

    /// <summary>Creates the predictor.</summary>
    /// <param name="estimator">The estimator over the models present.</param>
    /// <param name="variant">How age and gender are computed.</param>
    /// <exception cref="InvalidOperationException">The variant needs a model the estimator lacks.</exception>
    public AgeGenderVariantPredictor(AgeGenderEstimator estimator, AgeGenderVariant variant)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(variant);
        if (estimator.MissingFor(variant) is { Count: > 0 } missing)
        {
            throw new InvalidOperationException($"Age and gender by '{variant}' need {string.Join(" and ", missing)}, which the model directory lacks (deploy/local/models.sh imports them).");
        }

        _estimator = estimator;
        Variant = variant;
        ModelIds = estimator.ModelIdsFor(variant);
    }

    /// <summary>How age and gender are computed.</summary>
    public AgeGenderVariant Variant { get; }

    /// <inheritdoc />
    public AttributeKinds Answers => AttributeKinds.Age | AttributeKinds.Gender;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelIds { get; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FaceAttributes>> PredictAsync(IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken = default)
    {
        var answers = await _estimator.EstimateAsync(crops, Variant, cancellationToken);
        return [.. answers.Select(a => FaceResAgeGenderPredictor.From(a, ModelIds))];
    }
}
