using FacePlatform.ModelImport.Manifest;
using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;

namespace FacePlatform.Vision.Pipeline;

/// <summary>
/// The detection stage: finds the faces of a photo with the five landmarks alignment needs. Implemented once per model
/// family (<see cref="FaceDetector"/>: BlazeFace tiles verified by the face mesh; <see cref="FaceApiDetector"/>: face-api's
/// SSD or Tiny Face Detector with its 68-point net) and chosen by <see cref="ModelFamilies"/>.
/// </summary>
public interface IFaceDetector
{
    /// <summary>Ids of the models it runs (reported with every answer).</summary>
    IEnumerable<string> ModelIds { get; }

    /// <summary>
    /// The detection settings. Every family honours <see cref="DetectionOptions.MinFaceSize"/> (the services' floor),
    /// <see cref="DetectionOptions.MaxFaces"/> and <see cref="DetectionOptions.MinFaceFor"/>; face-api's detectors also
    /// <see cref="DetectionOptions.ScoreThreshold"/>, <see cref="DetectionOptions.MaxCandidates"/> and
    /// <see cref="DetectionOptions.CropScale"/>; the rest are BlazeFace's.
    /// </summary>
    DetectionOptions Options { get; }

    /// <summary>
    /// Finds the faces of <paramref name="image"/>, largest first. <paramref name="minFaceSize"/> and
    /// <paramref name="maxFaces"/> of 0 take the defaults.
    /// </summary>
    Task<IReadOnlyList<FaceDetection>> DetectAsync(RgbImage image, int maxFaces = 0, int minFaceSize = 0, CancellationToken cancellationToken = default);
}

/// <summary>
/// The recognition stage: cuts a face's crop from the photo (its input contract: <see cref="Template"/>,
/// <see cref="Mode"/>, <see cref="InputSize"/>) and embeds batches of such crops. A multi-task model also answers age
/// and gender from the same pass. A recogniser may wrap another (e.g. a trained projection on its embedding): it then
/// delegates <see cref="Align"/> and reports its own <see cref="ModelId"/>, which is what a collection stores.
/// </summary>
public interface IFaceRecogniser
{
    /// <summary>Id of the embeddings it makes; vectors of different ids are never compared.</summary>
    string ModelId { get; }

    /// <summary>
    /// The model whose crop and pass it runs: itself, or for a recogniser that wraps another (a trained projection) the
    /// wrapped one. Crops handed out are named after it, since their framing is its.
    /// </summary>
    string BackboneId => ModelId;

    /// <summary>Every model that one embedding pass runs (the recogniser first), reported with each answer.</summary>
    IReadOnlyList<string> ModelIds { get; }

    /// <summary>Side of the square crop <see cref="Align"/> cuts.</summary>
    int InputSize { get; }

    /// <summary>Where the face lies in its crop (also what attribute models re-cut from it).</summary>
    AlignmentTemplate Template { get; }

    /// <summary>How the crop is cut.</summary>
    CropMode Mode { get; }

    /// <summary>True when one pass also gives age and gender.</summary>
    bool IsMultiTask { get; }

    /// <summary>The models whose answers make up <see cref="Recognition.Recognition.AgeGender"/>.</summary>
    IReadOnlyList<string> AgeGenderModelIds { get; }

    /// <summary>The similarity thresholds measured for its embeddings (manifest), or null.</summary>
    ModelCalibration? Calibration { get; }

    /// <summary>The face's crop for this recogniser: <see cref="InputSize"/>² RGB, cut as <see cref="Template"/> and <see cref="Mode"/> say.</summary>
    RgbImage Align(RgbImage image, FaceDetection face);

    /// <summary>Embeds crops cut by <see cref="Align"/> (other sizes are resampled), all in one batch.</summary>
    Task<IReadOnlyList<Recognition.Recognition>> EmbedAsync(IReadOnlyList<RgbImage> crops, CancellationToken cancellationToken = default);
}

/// <summary>
/// One attribute stage: reads some attributes (<see cref="Answers"/>) from framed crops and leaves the others null.
/// <see cref="AttributePredictor"/> runs several side by side and merges their answers; an ensemble or test-time
/// augmentation is one predictor that runs others (or its model several times) and combines them.
/// </summary>
public interface IFaceAttributePredictor
{
    /// <summary>The attributes it answers.</summary>
    AttributeKinds Answers { get; }

    /// <summary>Ids of the models it runs.</summary>
    IReadOnlyList<string> ModelIds { get; }

    /// <summary>
    /// Answers every crop, in order: a <see cref="FaceAttributes"/> with only its own attributes set and the models that
    /// produced them in <see cref="FaceAttributes.ModelIds"/>.
    /// </summary>
    Task<IReadOnlyList<FaceAttributes>> PredictAsync(IReadOnlyList<FramedCrop> crops, CancellationToken cancellationToken = default);
}
