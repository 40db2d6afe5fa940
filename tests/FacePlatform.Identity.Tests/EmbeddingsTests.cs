using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Search;
using Grpc.Core;

namespace FacePlatform.Identity.Tests;

public sealed class EmbeddingsTests
{
    [Fact]
    public void A_stored_embedding_is_unit_length_in_half_precision_and_keeps_its_direction()
    {
        var stored = Embeddings.ToStored(new Embedding { ModelId = "m", Values = { 3f, 0f, 4f } }, "m", 3).ToArray();

        Assert.Equal([(Half)0.6f, (Half)0f, (Half)0.8f], stored);
    }

    [Theory]
    [InlineData("other", 3)]
    [InlineData("m", 4)]
    public void Another_model_or_dimension_is_a_failed_precondition(string model, int dimension)
    {
        var embedding = new Embedding { ModelId = model, Values = { Enumerable.Repeat(0.5f, dimension) } };

        var error = Assert.Throws<RpcException>(() => Embeddings.ToStored(embedding, "m", 3));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_zero_or_non_finite_vector_is_an_invalid_argument(float value)
    {
        var error = Assert.Throws<RpcException>(() => Embeddings.ToStored(new Embedding { ModelId = "m", Values = { value, 0f } }, "m", 2));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public void Answer_keys_differ_whenever_anything_that_shapes_the_answer_differs()
    {
        var a = Embeddings.ToStored(new Embedding { ModelId = "m", Values = { 1f, 0f } }, "m", 2);
        var b = Embeddings.ToStored(new Embedding { ModelId = "m", Values = { 0f, 1f } }, "m", 2);
        var keys = new[]
        {
            Embeddings.AnswerKey([a], 5, 0.5f, 100, 200),
            Embeddings.AnswerKey([b], 5, 0.5f, 100, 200),
            Embeddings.AnswerKey([a, b], 5, 0.5f, 100, 200),
            Embeddings.AnswerKey([b, a], 5, 0.5f, 100, 200),
            Embeddings.AnswerKey([a], 6, 0.5f, 100, 200),
            Embeddings.AnswerKey([a], 5, 0.6f, 100, 200),
            Embeddings.AnswerKey([a], 5, 0.5f, 200, 200),
            Embeddings.AnswerKey([a], 5, 0.5f, 100, 300),
        };

        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(keys[0], Embeddings.AnswerKey([a], 5, 0.5f, 100, 200));
    }
}
