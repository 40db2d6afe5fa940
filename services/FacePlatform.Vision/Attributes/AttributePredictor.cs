using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Recognition;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Attributes;

/// <summary>An aligned crop and the template it was cut with.</summary>
/// <param name="Image">The crop.</param>
/// <param name="Template">Its framing.</param>
public sealed record FramedCrop(RgbImage Image, AlignmentTemplate Template);

/// <summary>
/// Age and gender (FaceRes), emotion (mini-Xception), anti-spoofing and liveness from aligned crops, never from the
/// photo. Every model gets Human's face framing (<see cref="AlignmentTemplate.HumanBox"/>) at its own input size,
/// re-cut from whatever framing the crop has; the models run concurrently, each on all crops in one batch.
/// </summary>
public sealed class AttributePredictor
{
    private static readonly string[] EmotionLabels = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];

    private readonly ModelRunner? _ageGender;
    private readonly ModelRunner? _emotion;
    private readonly ModelRunner? _antispoof;
    private readonly ModelRunner? _liveness;
    private readonly AgeGenderEstimator _estimator;
    private readonly AgeGenderVariant _variant;
    private readonly FaceRecogniser? _trained;

    /// <summary>Creates the predictor; any model may be absent.</summary>
    /// <param name="ageGender">Age and gender model (FaceRes).</param>
    /// <param name="emotion">Emotion model.</param>
    /// <param name="antispoof">Anti-spoofing model.</param>
    /// <param name="liveness">Liveness model.</param>
    /// <param name="readout">How FaceRes's age bins are read.</param>
    /// <param name="trained">A recogniser with trained heads: when given, age and gender come from its heads (on its embedding of the crop) instead of <paramref name="ageGender"/>.</param>
    /// <param name="gear">GEAR, for the variants that use it.</param>
    /// <param name="variant">How age and gender are computed (default: FaceRes as the recogniser's pass gives it).</param>
    /// <exception cref="InvalidOperationException">The variant needs a model that is absent.</exception>
    public AttributePredictor(
        ModelRunner? ageGender, ModelRunner? emotion, ModelRunner? antispoof, ModelRunner? liveness, AgeReadout readout = AgeReadout.Expected, FaceRecogniser? trained = null,
        ModelRunner? gear = null, AgeGenderVariant? variant = null)
    {
        _trained = trained;
        _ageGender = trained is null ? ageGender : null;
        _emotion = emotion;
        _antispoof = antispoof;
        _liveness = liveness;
        _variant = variant ?? AgeGenderVariant.Default;
        _estimator = new AgeGenderEstimator(_ageGender, trained is null ? gear : null, readout);
        if (trained is null && _variant != AgeGenderVariant.Default && !_estimator.Supports(_variant))
        {
            throw new InvalidOperationException($"Age and gender by '{_variant}' need {string.Join(" and ", AgeGenderEstimator.SourcesOf(_variant).Select(s => s.ToString().ToLowerInvariant()))}, which the model directory lacks.");
        }
    }

    /// <summary>How age and gender are computed.</summary>
    public AgeGenderVariant AgeGenderVariant => _variant;

    /// <summary>Ids of the models present.</summary>
    public IEnumerable<string> ModelIds => new[] { _ageGender, _trained?.Runner, _emotion, _antispoof, _liveness }.Where(r => r is not null).Select(r => r!.Model.Name)
        .Concat(_trained?.Heads is { } heads ? [heads.ModelId] : [])
        .Concat(_trained is null && _estimator.Supports(_variant) ? _estimator.ModelIdsFor(_variant) : [])
        .Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Predicts <paramref name="include"/> for every crop. When <paramref name="known"/> gives a face's age and gender
    /// (from the recogniser's own pass) and the variant is that pass (<see cref="AgeGenderVariant.IsRecogniserPass"/>),
    /// FaceRes is not run again; another variant computes its own.
    /// </summary>
    public async Task<IReadOnlyList<FaceAttributes>> PredictAsync(
        IReadOnlyList<FramedCrop> crops, AttributeKinds include, IReadOnlyList<AgeGender?>? known = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        if (_trained is null && !_variant.IsRecogniserPass)
        {
            known = null;
        }

        var needAgeGender = (include & (AttributeKinds.Age | AttributeKinds.Gender)) != 0 && (known is null || known.Any(k => k is null));
        var ageGenderTask = needAgeGender && _trained is null && _estimator.Supports(_variant) ? _estimator.EstimateAsync(crops, _variant, cancellationToken) : null;
        var trainedTask = needAgeGender && _trained is not null ? EmbedForAsync(_trained, crops, cancellationToken) : null;
        var emotionTask = (include & AttributeKinds.Emotion) != 0 && _emotion is not null ? RunAsync(_emotion, crops, cancellationToken) : null;
        var livenessWanted = (include & AttributeKinds.Liveness) != 0;
        var antispoofTask = livenessWanted && _antispoof is not null ? RunAsync(_antispoof, crops, cancellationToken) : null;
        var livenessTask = livenessWanted && _liveness is not null ? RunAsync(_liveness, crops, cancellationToken) : null;
        await Task.WhenAll(new Task?[] { ageGenderTask, trainedTask, emotionTask, antispoofTask, livenessTask }.Where(t => t is not null).Select(t => t!));

        var results = new List<FaceAttributes>(crops.Count);
        for (var i = 0; i < crops.Count; i++)
        {
            var models = new List<string>();
            var ageGender = known?[i];
            if (ageGender is null && ageGenderTask is not null)
            {
                ageGender = ageGenderTask.Result[i];
                models.AddRange(_estimator.ModelIdsFor(_variant));
            }
            else if (ageGender is null && trainedTask is not null)
            {
                ageGender = trainedTask.Result[i].AgeGender;
                models.AddRange(_trained!.AgeGenderModelIds);
            }

            List<EmotionScore>? emotions = null;
            if (emotionTask is not null)
            {
                var p = emotionTask.Result.Row(emotionTask.Result.Has("emotion") ? "emotion" : _emotion!.Model.Entry.Outputs[0].Name, i).ToArray();
                emotions = [.. EmotionLabels.Select((label, k) => new EmotionScore(label, p[k])).OrderByDescending(e => e.Score)];
                models.Add(_emotion!.Model.Name);
            }

            float? real = null;
            if (antispoofTask is not null)
            {
                real = antispoofTask.Result.Row(_antispoof!.Model.Entry.Outputs[0].Name, i)[0];
                models.Add(_antispoof.Model.Name);
            }

            float? live = null;
            if (livenessTask is not null)
            {
                live = livenessTask.Result.Row(_liveness!.Model.Entry.Outputs[0].Name, i)[0];
                models.Add(_liveness.Model.Name);
            }

            var wantAge = (include & AttributeKinds.Age) != 0;
            var wantGender = (include & AttributeKinds.Gender) != 0;
            results.Add(new FaceAttributes(
                wantAge ? ageGender?.Age : null,
                wantGender ? ageGender?.GenderLabel : null,
                wantGender ? ageGender?.GenderProbability : null,
                emotions,
                real,
                live,
                models));
        }

        return results;
    }

    /// <summary>
    /// The trained heads' recogniser on the crops: as they are when cut with its template (the embedding service's
    /// crops for it, so the features equal the ones it trained on), re-cut to its template otherwise.
    /// </summary>
    private static async Task<IReadOnlyList<Recognition.Recognition>> EmbedForAsync(FaceRecogniser recogniser, IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken)
    {
        var size = recogniser.InputSize;
        var recut = crops.Select(c => c.Template == recogniser.Template ? null
            : ImageSampler.WarpToImage(c.Image, recogniser.Template.ToCrop(c.Template, c.Image.Width, size), size, size)).ToList();
        try
        {
            return await recogniser.EmbedAsync([.. crops.Select((c, i) => recut[i] ?? c.Image)], cancellationToken);
        }
        finally
        {
            foreach (var image in recut)
            {
                image?.Dispose();
            }
        }
    }

    private static Task<ModelOutputs> RunAsync(ModelRunner runner, IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken)
    {
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
