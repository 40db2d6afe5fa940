namespace FacePlatform.Vision.Inference;

/// <summary>A model's queue is full; the caller should back off (gRPC <c>RESOURCE_EXHAUSTED</c>).</summary>
public sealed class InferenceQueueFullException : Exception
{
    public InferenceQueueFullException()
        : base("The inference queue is full.")
    {
    }

    public InferenceQueueFullException(string message)
        : base(message)
    {
    }

    public InferenceQueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
