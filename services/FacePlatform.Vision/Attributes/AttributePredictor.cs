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
    private readonly AgeReadout _readout;

    /// <summary>Creates the predictor; any model may be absent.</summary>
    public AttributePredictor(ModelRunner? ageGender, ModelRunner? emotion, ModelRunner? antispoof, ModelRunner? liveness, AgeReadout readout = AgeReadout.Expected)
    {
        _ageGender = ageGender;
        _emotion = emotion;
        _antispoof = antispoof;
        _liveness = liveness;
        _readout = readout;
    }

    /// <summary>Ids of the models present.</summary>
    public IEnumerable<string> ModelIds => new[] { _ageGender, _emotion, _antispoof, _liveness }.Where(r => r is not null).Select(r => r!.Model.Name);

    /// <summary>
    /// Predicts <paramref name="include"/> for every crop. When <paramref name="known"/> gives a face's age and gender
    /// (from the recogniser's own pass), FaceRes is not run again.
    /// </summary>
    public async Task<IReadOnlyList<FaceAttributes>> PredictAsync(
        IReadOnlyList<FramedCrop> crops, AttributeKinds include, IReadOnlyList<AgeGender?>? known = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        var needAgeGender = (include & (AttributeKinds.Age | AttributeKinds.Gender)) != 0 && (known is null || known.Any(k => k is null));
        var ageGenderTask = needAgeGender && _ageGender is not null ? RunAsync(_ageGender, crops, cancellationToken) : null;
        var emotionTask = (include & AttributeKinds.Emotion) != 0 && _emotion is not null ? RunAsync(_emotion, crops, cancellationToken) : null;
        var livenessWanted = (include & AttributeKinds.Liveness) != 0;
        var antispoofTask = livenessWanted && _antispoof is not null ? RunAsync(_antispoof, crops, cancellationToken) : null;
        var livenessTask = livenessWanted && _liveness is not null ? RunAsync(_liveness, crops, cancellationToken) : null;
        await Task.WhenAll(new[] { ageGenderTask, emotionTask, antispoofTask, livenessTask }.Where(t => t is not null).Select(t => t!));

        var results = new List<FaceAttributes>(crops.Count);
        for (var i = 0; i < crops.Count; i++)
        {
            var models = new List<string>();
            var ageGender = known?[i];
            if (ageGender is null && ageGenderTask is not null)
            {
                var o = ageGenderTask.Result;
                ageGender = AgeGender.From(o.Row("age", i), o.Row("gender", i)[0], _readout);
                models.Add(_ageGender!.Model.Name);
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
