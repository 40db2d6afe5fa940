using FacePlatform.Attributes.Inference;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using Grpc.Core;

namespace FacePlatform.Attributes.Grpc;

/// <summary>
/// Age, gender, emotion and liveness from aligned crops (never photos). All crops of a call go through each model in
/// one batch, and concurrent calls are coalesced; a full queue answers RESOURCE_EXHAUSTED.
/// </summary>
internal sealed class AttributesGrpcService(AttributeModels models, InferenceTelemetry telemetry) : AttributesService.AttributesServiceBase
{
    public override async Task<PredictResponse> Predict(PredictRequest request, ServerCallContext context)
    {
        if (!models.IsReady)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, models.LoadError is null ? "models are loading" : "models could not be loaded"));
        }

        var include = AttributeKinds.None;
        foreach (var name in request.Include)
        {
            include |= name switch
            {
                "age" => AttributeKinds.Age,
                "gender" => AttributeKinds.Gender,
                "emotion" => AttributeKinds.Emotion,
                "liveness" => AttributeKinds.Liveness,
                _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"include: unknown attribute '{name}' (age, gender, emotion, liveness)")),
            };
        }

        if (include == AttributeKinds.None)
        {
            include = AttributeKinds.All;
        }

        var crops = new List<FramedCrop>(request.Crops.Count);
        for (var i = 0; i < request.Crops.Count; i++)
        {
            var crop = request.Crops[i];
            if (crop.Width <= 0 || crop.Height <= 0 || crop.Width > 1024 || crop.Height > 1024 || crop.Rgb.Length != crop.Width * crop.Height * 3)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"crops[{i}]: width and height must be 1..1024 and rgb width·height·3 bytes"));
            }

            var template = models.TemplateFor(string.IsNullOrEmpty(crop.ModelId) ? models.Recognition.DefaultModel : crop.ModelId);
            crops.Add(new FramedCrop(RgbImage.Wrap(crop.Rgb.ToByteArray(), crop.Width, crop.Height), template));
        }

        IReadOnlyList<FaceAttributes> predictions;
        using var span = telemetry.StartStage("attributes", crops.Count);
        try
        {
            predictions = await models.Predictor.PredictAsync(crops, include, null, context.CancellationToken);
        }
        catch (InferenceQueueFullException ex)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }

        var response = new PredictResponse();
        foreach (var prediction in predictions)
        {
            var attributes = new Contracts.V1.Attributes();
            if (prediction.Age is { } age)
            {
                attributes.Age = age;
                var range = Vision.Attributes.AgeRange.For(age);
                attributes.AgeRange = new Contracts.V1.AgeRange { Low = range.Low, High = range.High };
            }

            if (prediction.Gender is { } gender)
            {
                attributes.Gender = new Gender { Label = gender, Probability = prediction.GenderProbability ?? 0 };
            }

            foreach (var emotion in prediction.Emotions ?? [])
            {
                attributes.Emotions.Add(new Contracts.V1.EmotionScore { Label = emotion.Label, Score = emotion.Score });
            }

            if (prediction.Real is { } real)
            {
                attributes.RealScore = real;
            }

            if (prediction.Live is { } live)
            {
                attributes.LiveScore = live;
            }

            attributes.ModelIds.AddRange(prediction.ModelIds);
            response.Attributes.Add(attributes);
        }

        return response;
    }
}
