using FacePlatform.Vision.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePlatform.InferenceTests;

/// <summary>The model runner on a real model: split requests, the bounded queue, workers.</summary>
public sealed class ModelRunnerTests
{
    private static ModelCatalog Open(InferenceOptions options) =>
        ModelCatalog.Open(Paths.Models, options, new InferenceTelemetry(), NullLoggerFactory.Instance);

    private static void Fill(int index, Span<float> sample)
    {
        // A different, deterministic input per sample.
        for (var i = 0; i < sample.Length; i++)
        {
            sample[i] = ((i * 7) + (index * 131)) % 255 / 255f;
        }
    }

    [Fact]
    public async Task A_split_request_gives_each_sample_the_output_it_gets_alone()
    {
        await using var split = Open(new InferenceOptions { Workers = 2, SplitSize = 2 });
        await using var whole = Open(new InferenceOptions { Workers = 1, SplitSize = 16 });
        var together = await split.Get("liveness").RunAsync(7, Fill);
        var reference = await whole.Get("liveness").RunAsync(7, Fill);
        Assert.Equal(7, together.Count);
        for (var i = 0; i < 7; i++)
        {
            var alone = await whole.Get("liveness").RunAsync(1, (_, sample) => Fill(i, sample));
            Assert.Equal(alone.Row("live", 0).ToArray(), together.Row("live", i).ToArray(), new ToleranceComparer(1e-5f));
            Assert.Equal(reference.Row("live", i).ToArray(), together.Row("live", i).ToArray(), new ToleranceComparer(1e-5f));
        }

        // Different inputs give different outputs, so a mix-up of parts would show.
        Assert.NotEqual(together.Row("live", 0).ToArray(), together.Row("live", 5).ToArray());
    }

    [Fact]
    public async Task A_full_queue_refuses_with_a_clear_error_and_the_runner_keeps_serving()
    {
        await using var catalog = Open(new InferenceOptions { Workers = 1, QueueCapacity = 2 });
        var runner = catalog.Get("faceres");
        // Requests of 8 faces are split into parts, but each counts once against the capacity of 2.
        var calls = Enumerable.Range(0, 12).Select(_ => Task.Run(() => runner.RunAsync(8, Fill))).ToList();
        var refused = 0;
        var served = 0;
        foreach (var call in calls)
        {
            try
            {
                Assert.Equal(8, (await call).Count);
                served++;
            }
            catch (InferenceQueueFullException ex)
            {
                Assert.Contains("faceres", ex.Message, StringComparison.Ordinal);
                refused++;
            }
        }

        Assert.True(refused > 0, "no call was refused");
        Assert.True(served >= 2, $"only {served} calls served");
        Assert.Equal(0, runner.QueueDepth);
        Assert.Equal(1, (await runner.RunAsync(1, Fill)).Count);
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
