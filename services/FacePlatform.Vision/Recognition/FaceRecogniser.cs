using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Tensors;

namespace FacePlatform.Vision.Recognition;

/// <summary>One recogniser's embedding of a face, with age and gender when the model is multi-task (FaceRes).</summary>
/// <param name="Embedding">The L2-normalised embedding.</param>
/// <param name="AgeGender">Age and gender from the same pass, or null.</param>
public sealed record Recognition(FaceEmbedding Embedding, AgeGender? AgeGender);

/// <summary>
/// A recogniser: aligns faces to its template at its input size and embeds batches of aligned crops. A multi-task
/// model (outputs <c>embedding</c>, <c>age</c>, <c>gender</c>) answers age and gender from the same pass. With a
/// trained projection (<c>facectl train --heads projection</c>) it is a recogniser of its own, named after the trained
/// model: the backbone's crop and pass, then the projection of the backbone's embedding, L2-normalised.
/// </summary>
public sealed class FaceRecogniser : IFaceRecogniser
{
    private readonly ModelRunner _runner;
    private readonly bool _ownAgeGender;

    /// <summary>Creates the recogniser.</summary>
    /// <param name="runner">The recogniser's runner.</param>
    /// <param name="template">Its crop template.</param>
    /// <param name="mode">How crops are cut.</param>
    /// <param name="ageReadout">How its age bins are read.</param>
    /// <param name="heads">Trained heads on this recogniser's embedding that answer age and gender in place of its own (null: none).</param>
    /// <param name="projection">A trained projection of the backbone's embedding that is served as the embedding, under the trained model's id (null: the backbone's embedding).</param>
    public FaceRecogniser(
        ModelRunner runner, AlignmentTemplate template, CropMode mode = CropMode.Aligned, AgeReadout ageReadout = AgeReadout.Expected, TrainedHeads? heads = null,
        TrainedHeads? projection = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        foreach (var (trained, name) in new[] { (heads, nameof(heads)), (projection, nameof(projection)) })
        {
            if (trained is not null && !string.Equals(trained.Backbone, runner.Model.Name, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Trained model '{trained.ModelId}' reads the embedding of '{trained.Backbone}', not of '{runner.Model.Name}'.", name);
            }
        }

        if (projection is { HasProjection: false })
        {
            throw new ArgumentException($"Trained model '{projection.ModelId}' has no projection head to serve as a recogniser.", nameof(projection));
        }

        _runner = runner;
        Template = template;
        Mode = mode;
        AgeReadout = ageReadout;
        Heads = heads;
        Projection = projection;
        _ownAgeGender = runner.Model.Entry.Outputs.Any(o => o.Name == "age") && runner.Model.Entry.Outputs.Any(o => o.Name == "gender");
        IsMultiTask = _ownAgeGender || (heads is { HasAge: true, HasGender: true });
        AgeGenderModelIds = heads is null ? [BackboneId] : heads is { HasAge: true, HasGender: true } ? [heads.ModelId] : [BackboneId, heads.ModelId];
        ModelIds = [BackboneId, .. new[] { projection?.ModelId, heads?.ModelId }.OfType<string>().Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The recogniser's id, which names its embeddings (and so the collections that hold them): the trained
    /// projection's model id when there is one, else the backbone's.
    /// </summary>
    public string ModelId => Projection?.ModelId ?? BackboneId;

    /// <summary>The model that crops are aligned for and run through (the backbone of a projection).</summary>
    public string BackboneId => _runner.Model.Name;

    /// <summary>Every model that takes part in an embedding with its age and gender: the backbone, then the trained ones.</summary>
    public IReadOnlyList<string> ModelIds { get; }

    /// <summary>The trained projection served as the embedding, or null.</summary>
    public TrainedHeads? Projection { get; }

    /// <summary>The calibrated thresholds of <see cref="ModelId"/> from its manifest entry, or null when it has none.</summary>
    public ModelImport.Manifest.ModelCalibration? Calibration => Projection is { } projection ? projection.Calibration : _runner.Model.Entry.Calibration;

    /// <summary>Square input side.</summary>
    public int InputSize => _runner.Model.InputWidth;

    /// <summary>Where the model wants the face in its crop.</summary>
    public AlignmentTemplate Template { get; }

    /// <summary>Aligned or upright crops.</summary>
    public CropMode Mode { get; }

    /// <summary>How ages are read.</summary>
    public AgeReadout AgeReadout { get; }

    /// <summary>True when one pass also gives age and gender (from the model itself or its trained heads).</summary>
    public bool IsMultiTask { get; }

    /// <summary>Trained heads that answer age and gender from this recogniser's embedding, or null.</summary>
    public TrainedHeads? Heads { get; }

    /// <summary>The models whose answers make up <see cref="Recognition.AgeGender"/>.</summary>
    public IReadOnlyList<string> AgeGenderModelIds { get; }

    /// <summary>The model runner.</summary>
    public ModelRunner Runner => _runner;

    /// <summary>The face's crop for this model: <see cref="InputSize"/>² RGB, aligned to <see cref="Template"/>.</summary>
    public RgbImage Align(RgbImage image, FaceDetection face)
    {
        ArgumentNullException.ThrowIfNull(face);
        return Mode == CropMode.DetectorBox
            ? DetectorBoxCrop(image, face, InputSize)
            : ImageSampler.WarpToImage(image, Template.CropToImage(face.Landmarks, InputSize, Mode), InputSize, InputSize);
    }

    /// <summary>The <see cref="CropMode.DetectorBox"/> crop: <paramref name="face"/>'s square crop box, axis-aligned, at <paramref name="size"/>².</summary>
    public static RgbImage DetectorBoxCrop(RgbImage image, FaceDetection face, int size)
    {
        ArgumentNullException.ThrowIfNull(face);
        return ImageSampler.WarpToImage(image, new Geometry.SimilarityTransform(face.CropBox.Width / (float)size, 0, face.CropBox.X, face.CropBox.Y), size, size);
    }

    /// <summary>
    /// Embeds crops that are already aligned for this model (other sizes are resampled to the input size), all in one
    /// batch.
    /// </summary>
    public async Task<IReadOnlyList<Recognition>> EmbedAsync(IReadOnlyList<RgbImage> crops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        var model = _runner.Model;
        var size = InputSize;
        var outputs = await _runner.RunAsync(crops.Count, (i, sample) =>
        {
            var crop = crops[i];
            ImageSampler.ResampleAxisAligned(
                crop, 0, crop.Width / (float)size, 0, crop.Height / (float)size, size, size, EdgeMode.Clamp, model.Format, sample);
        }, cancellationToken);
        return await ReadAsync(outputs, cancellationToken);
    }

    /// <summary>
    /// Embeds faces with Human 3.3.6's exact preprocessing: the 192² crop of the detector box ×1.4 (0..1), resized to
    /// the input with legacy bilinear, then scaled back to the model's range. Used by the reference check and the
    /// crop comparison in docs/accuracy.md.
    /// </summary>
    public async Task<IReadOnlyList<Recognition>> EmbedHumanCropsAsync(RgbImage image, IReadOnlyList<FaceDetection> faces, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(faces);
        var model = _runner.Model;
        var size = InputSize;
        const int CropSize = 192;
        var outputs = await _runner.RunAsync(faces.Count, (i, sample) =>
        {
            var crop = new float[CropSize * CropSize * 3];
            FaceDetector.HumanCrop(image, faces[i].CropBox, CropSize, new PixelFormat(1 / 255f, 0, false), crop);
            // The 0..1 crop resized, then mapped to the model's range: value·255·scale + offset.
            var format = new PixelFormat(255f * model.Format.Scale, model.Format.Offset, model.Format.Grey);
            var scale = CropSize / (float)size;
            ImageSampler.ResampleAxisAligned<float>(crop, CropSize, CropSize, 0, scale, 0, scale, size, size, EdgeMode.Clamp, format, sample);
        }, cancellationToken);
        return await ReadAsync(outputs, cancellationToken);
    }

    private async Task<List<Recognition>> ReadAsync(ModelOutputs outputs, CancellationToken cancellationToken)
    {
        var results = new List<Recognition>(outputs.Count);
        for (var i = 0; i < outputs.Count; i++)
        {
            var embedding = new FaceEmbedding(ModelId, FaceEmbedding.Normalise(outputs.Row("embedding", i)));
            var ageGender = _ownAgeGender ? AgeGender.From(outputs.Row("age", i), outputs.Row("gender", i)[0], AgeReadout) : null;
            results.Add(new Recognition(embedding, ageGender));
        }

        if (results.Count == 0)
        {
            return results;
        }

        var backbone = results.Select(r => r.Embedding.Vector).ToList();
        if (Heads is not null)
        {
            // The trained heads read the same normalised embedding they were trained on; a head they lack keeps the model's own answer.
            var answers = await Heads.RunAsync(backbone, cancellationToken);
            for (var i = 0; i < results.Count; i++)
            {
                var own = results[i].AgeGender;
                var age = answers[i].Age ?? own?.Age;
                var male = answers[i].MaleProbability ?? own?.MaleProbability;
                results[i] = results[i] with { AgeGender = age is { } a && male is { } m ? new AgeGender(a, m) : null };
            }
        }

        if (Projection is not null)
        {
            // The graph already divides by √(‖y‖²+1e-6); normalising again makes the vector exactly unit length, as
            // every stored embedding is, whatever the projection's scale.
            var projected = await Projection.RunAsync(backbone, cancellationToken);
            for (var i = 0; i < results.Count; i++)
            {
                results[i] = results[i] with { Embedding = new FaceEmbedding(ModelId, FaceEmbedding.Normalise(projected[i].Projection!)) };
            }
        }

        return results;
    }
}
