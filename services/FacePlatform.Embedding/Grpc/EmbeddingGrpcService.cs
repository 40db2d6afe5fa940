using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Embedding.Inference;
using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using Google.Protobuf;
using Grpc.Core;

namespace FacePlatform.Embedding.Grpc;

/// <summary>
/// Detection, alignment and embedding, through the shared pipeline (<see cref="FaceAnalyzer"/>). Every face of a photo goes through each model in one batch; concurrent calls
/// are coalesced by the model runners; a full queue answers RESOURCE_EXHAUSTED. Photos are decoded through the
/// <see cref="DecodeGate"/> (header checked, pixels taken from the process-wide budget), and <c>min_face_size</c> below
/// the configured floor is INVALID_ARGUMENT.
/// </summary>
internal sealed class EmbeddingGrpcService(EmbeddingModels models, DecodeGate decoder, InferenceTelemetry telemetry) : EmbeddingService.EmbeddingServiceBase
{
    public override Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context) =>
        Guard(() => DetectCoreAsync(request, embed: false, context.CancellationToken));

    public override Task<DetectResponse> DetectAndEmbed(DetectRequest request, ServerCallContext context) =>
        Guard(() => DetectCoreAsync(request, embed: true, context.CancellationToken));

    public override Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context) =>
        Guard(() => EmbedCoreAsync(request, context.CancellationToken));

    /// <summary>
    /// The configured profiles (the gateway checks a collection's profile against them and takes the recogniser of a
    /// collection created with one); UNAVAILABLE until the manifest is open (the recognisers' dimensions come from it).
    /// </summary>
    public override Task<ListProfilesResponse> ListProfiles(ListProfilesRequest request, ServerCallContext context)
    {
        if (!models.IsReady)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, models.LoadError is null ? "models are loading" : "models could not be loaded"));
        }

        var profiles = models.Profiles;
        var response = new ListProfilesResponse { DefaultProfile = profiles.Default };
        foreach (var (name, profile) in profiles.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            response.Profiles.Add(new ServedProfile
            {
                Name = name,
                Recogniser = profile.Recogniser ?? string.Empty,
                Dimension = string.IsNullOrEmpty(profile.Recogniser) ? 0 : models.EmbeddingDimension(profile.Recogniser),
            });
        }

        return Task.FromResult(response);
    }

    private async Task<DetectResponse> DetectCoreAsync(DetectRequest request, bool embed, CancellationToken cancellationToken)
    {
        if (request.Image is null || request.Image.SourceCase != Image.SourceOneofCase.Content)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "image.content is required (sha256 references are not served here)"));
        }

        var (profileName, profile) = ProfileOf(request.Profile);
        var recogniser = RecogniserFor(string.IsNullOrEmpty(request.ModelId) ? profile.Recogniser : request.ModelId);
        var detector = models.DetectorFor(profileName, profile);
        var minFloor = detector.Options.MinFaceSize;
        if (request.MinFaceSize < 0 || (request.MinFaceSize > 0 && request.MinFaceSize < minFloor))
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"min_face_size must be 0 (automatic) or at least {minFloor} pixels, not {request.MinFaceSize}"));
        }

        var bytes = request.Image.Content.Memory;
        AdmittedImage decoded;
        using (telemetry.StartStage("decode"))
        {
            decoded = await decoder.DecodeAsync(bytes, cancellationToken);
        }

        using var admitted = decoded;
        var image = admitted.Image;
        // The one pipeline (FaceAnalyzer) that facectl and the evaluations run too; it records the detect, align and
        // embed spans. Age and gender come from a multi-task recogniser's own pass only: the attributes service
        // answers the rest from the crops.
        var analysis = await models.Analyzer.AnalyzeAsync(
            image,
            new AnalysisRequest
            {
                MaxFaces = request.MaxFaces,
                MinFaceSize = request.MinFaceSize,
                Embed = embed,
                // Another configured variant (Attributes__AgeGender) is the attributes service's to answer.
                Attributes = embed && models.RecogniserAnswersAgeGender ? AttributeKinds.Age | AttributeKinds.Gender : AttributeKinds.None,
                KeepCrops = request.IncludeCrops,
                Recogniser = recogniser,
                Detector = detector,
            },
            cancellationToken);

        var response = new DetectResponse
        {
            ImageWidth = analysis.Width,
            ImageHeight = analysis.Height,
            ImageSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.Span)),
        };
        response.ModelIds.AddRange(detector.ModelIds);
        if (embed)
        {
            response.ModelIds.AddRange(recogniser.ModelIds);

            // The gateway turns these into the default search and verify thresholds (docs/accuracy.md, "Open set").
            if (recogniser.Calibration is { } calibration)
            {
                response.Calibration = ThresholdCalibration.Create(recogniser.ModelId, calibration.Thresholds.Select(t => (t.FalseAcceptRate, t.Threshold)));
            }
        }

        foreach (var analysed in analysis.Faces)
        {
            var face = ToProto(analysed.Detection, analysed.Quality);
            if (analysed.Embedding is { } embedding)
            {
                face.Embedding = new Contracts.V1.Embedding { ModelId = embedding.ModelId };
                face.Embedding.Values.AddRange(embedding.Vector);
                if (analysed.Attributes is { Age: { } age, Gender: { } gender, GenderProbability: { } probability } attributes)
                {
                    var ageRange = Vision.Attributes.AgeRange.For(age);
                    face.Attributes = new Contracts.V1.Attributes
                    {
                        Age = age,
                        AgeRange = new Contracts.V1.AgeRange { Low = ageRange.Low, High = ageRange.High },
                        Gender = new Gender { Label = gender, Probability = probability },
                    };
                    face.Attributes.ModelIds.AddRange(attributes.ModelIds);
                }
            }

            // Detect hands out crops too: an analysis that asks only for emotion or liveness needs no embedding.
            if (analysed.Crop is { } crop)
            {
                face.Crop = new AlignedCrop
                {
                    Width = analysed.CropSize,
                    Height = analysed.CropSize,
                    // The analysis made this array for the response alone: wrapped, not copied again.
                    Rgb = UnsafeByteOperations.UnsafeWrap(crop),
                    // The crop is framed for the backbone (a projection's too): the attributes service reads its template from this.
                    ModelId = recogniser.BackboneId,
                };
            }

            response.Faces.Add(face);
        }

        return response;
    }

    private async Task<EmbedResponse> EmbedCoreAsync(EmbedRequest request, CancellationToken cancellationToken)
    {
        var model = request.ModelId;
        if (string.IsNullOrEmpty(model))
        {
            model = request.Crops.Select(c => c.ModelId).FirstOrDefault(m => !string.IsNullOrEmpty(m)) ?? string.Empty;
        }

        var recogniser = RecogniserFor(model);
        var crops = request.Crops.Select((c, i) => ToImage(c, i)).ToList();
        using var span = telemetry.StartStage("embed", crops.Count);
        var recognitions = await recogniser.EmbedAsync(crops, cancellationToken);
        var response = new EmbedResponse();
        foreach (var recognition in recognitions)
        {
            var embedding = new Contracts.V1.Embedding { ModelId = recognition.Embedding.ModelId };
            embedding.Values.AddRange(recognition.Embedding.Vector);
            response.Embeddings.Add(embedding);
        }

        return response;
    }

    internal static RgbImage ToImage(AlignedCrop crop, int index)
    {
        if (crop.Width <= 0 || crop.Height <= 0 || crop.Width > 1024 || crop.Height > 1024 || crop.Rgb.Length != crop.Width * crop.Height * 3)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"crops[{index}]: width and height must be 1..1024 and rgb width·height·3 bytes"));
        }

        return RgbImage.Wrap(crop.Rgb.ToByteArray(), crop.Width, crop.Height);
    }

    /// <summary>The named profile, or INVALID_ARGUMENT naming the known ones.</summary>
    private (string Name, InferenceProfile Profile) ProfileOf(string? name)
    {
        try
        {
            return models.Profiles.Resolve(name);
        }
        catch (UnknownProfileException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
    }

    private IFaceRecogniser RecogniserFor(string? model)
    {
        if (!models.IsReady)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, models.LoadError is null ? "models are loading" : "models could not be loaded"));
        }

        if (!string.IsNullOrEmpty(model) && !models.HasRecogniser(model))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{model}' is not a recogniser in the model manifest"));
        }

        return models.Recogniser(model);
    }

    private static DetectedFace ToProto(FaceDetection detection, FaceQuality quality)
    {
        var face = new DetectedFace
        {
            Box = new Box { X = detection.Box.X, Y = detection.Box.Y, Width = detection.Box.Width, Height = detection.Box.Height },
            DetectionScore = detection.Score,
            Quality = new Quality { Score = quality.Score, Sharpness = quality.Sharpness, Size = quality.Size, Frontality = quality.Frontality },
        };
        var pose = HeadPose.Estimate(detection.Landmarks);
        face.Pose = new Pose { Yaw = pose.Yaw, Pitch = pose.Pitch, Roll = pose.Roll };
        var points = detection.Landmarks.ToArray();
        for (var i = 0; i < points.Length; i++)
        {
            face.Landmarks.Add(new Landmark { Name = FaceLandmarks.Names[i], X = points[i].X, Y = points[i].Y });
        }

        return face;
    }

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ImageRejectedException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{ex.CodeText}: {ex.Message}"));
        }
        catch (InferenceQueueFullException ex)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }
    }
}
