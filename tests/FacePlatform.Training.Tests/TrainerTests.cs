using FacePlatform.Training.Heads;

namespace FacePlatform.Training.Tests;

/// <summary>The trainer on synthetic features: learning, the same seed twice, resume from a checkpoint, early stopping.</summary>
public sealed class TrainerTests
{
    private static readonly HeadKind[] AllHeads = [HeadKind.Gender, HeadKind.Young, HeadKind.Age, HeadKind.Projection];

    [Fact]
    public void EveryHeadLearnsLearnableData()
    {
        var samples = Synthetic.Learnable(300, 16, 3);
        var heads = HeadTrainer.Train(samples, AllHeads, new TrainerOptions { Epochs = 25, Patience = 100, Hidden = 16, LearningRate = 1e-2f });
        foreach (var head in heads)
        {
            Assert.True(head.Losses[^1] < head.Losses[0] * 0.7, $"{head.Head.Kind}: loss {head.Losses[0]:F4} → {head.Losses[^1]:F4}");
            Assert.True(head.Head.IsBetter(head.BestMetric, head.InitialMetric), $"{head.Head.Kind}: metric {head.InitialMetric:F4} → {head.BestMetric:F4}");
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameWeightsAndAnotherSeedOthers()
    {
        var samples = Synthetic.Learnable(120, 8, 5);
        var options = new TrainerOptions { Epochs = 5, Hidden = 8 };
        var first = HeadTrainer.Train(samples, AllHeads, options);
        var second = HeadTrainer.Train(samples, AllHeads, options);
        var other = HeadTrainer.Train(samples, AllHeads, options with { Seed = 43 });
        for (var h = 0; h < first.Count; h++)
        {
            Assert.Equal(Weights(first[h]), Weights(second[h]));
            Assert.NotEqual(Weights(first[h]), Weights(other[h]));
        }
    }

    [Fact]
    public void AnInterruptedRunResumedFromItsCheckpointEndsWhereAnUninterruptedOneDoes()
    {
        var samples = Synthetic.Learnable(120, 8, 9);
        var folder = Directory.CreateTempSubdirectory("faceplatform-checkpoint").FullName;
        try
        {
            var options = new TrainerOptions { Epochs = 8, Hidden = 8, Patience = 100 };
            var whole = HeadTrainer.Train(samples, AllHeads, options);
            var checkpoint = Path.Combine(folder, "run.checkpoint");
            // "Interrupted" after 3 epochs: the checkpoint holds epoch 3; the same command with 8 epochs resumes at 4.
            var cut = HeadTrainer.Train(samples, AllHeads, options with { Epochs = 3, CheckpointPath = checkpoint });
            Assert.All(cut, h => Assert.Equal(3, h.Epochs));
            var resumed = HeadTrainer.Train(samples, AllHeads, options with { CheckpointPath = checkpoint });
            for (var h = 0; h < whole.Count; h++)
            {
                Assert.Equal(8, resumed[h].Epochs);
                Assert.Equal(whole[h].Losses, resumed[h].Losses);
                Assert.Equal(Weights(whole[h]), Weights(resumed[h]));
            }

            var otherData = Synthetic.Learnable(120, 8, 10);
            var error = Assert.Throws<InvalidOperationException>(() => HeadTrainer.Train(otherData, AllHeads, options with { CheckpointPath = checkpoint }));
            Assert.Contains("another run", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void EarlyStoppingKeepsTheBestEpochsWeights()
    {
        var samples = Synthetic.Learnable(200, 8, 11);
        var heads = HeadTrainer.Train(samples, [HeadKind.Age], new TrainerOptions { Epochs = 200, Hidden = 8, Patience = 2, LearningRate = 3e-2f });
        var age = heads[0];
        Assert.True(age.StoppedEarly, $"ran all {age.Epochs} epochs");
        Assert.Equal(age.BestEpoch + 2, age.Epochs);
        Assert.Equal(age.Metrics.Min(), age.BestMetric);
        // The kept weights are the best epoch's: their metric is the best one, not the last epoch's.
        var validation = samples.Where(s => s.Validation).ToList();
        var outputs = age.Predict(Synthetic.Stack(validation), validation.Count);
        Assert.Equal(age.BestMetric, age.Head.Metric(outputs, validation), 6);
    }

    private static float[] Weights(TrainedHead head) => [.. head.Network.Parameters.SelectMany(p => p)];
}
