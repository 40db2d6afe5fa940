using FacePlatform.Identity.Search;

namespace FacePlatform.Identity.Tests;

public sealed class SimHashTests
{
    private const int Dimension = 256;
    private const int Bits = 1024;

    [Fact]
    public void Codes_are_deterministic_across_instances()
    {
        var x = RandomUnitVector(new Random(1), Dimension);

        var first = new SimHash(Dimension, Bits).Code(x);
        var second = new SimHash(Dimension, Bits).Code(x);

        Assert.Equal(Bits, first.Length);
        Assert.Equal(0, SimHash.Hamming(first, second));
    }

    [Fact]
    public void A_vector_is_at_distance_zero_from_itself_and_all_bits_from_its_opposite()
    {
        var hash = SimHash.For(Dimension, Bits);
        var x = RandomUnitVector(new Random(2), Dimension);
        var opposite = x.Select(v => -v).ToArray();

        Assert.Equal(0, SimHash.Hamming(hash.Code(x), hash.Code(x)));
        Assert.Equal(Bits, SimHash.Hamming(hash.Code(x), hash.Code(opposite)));
    }

    [Fact]
    public void Shorter_codes_are_prefixes_of_longer_ones()
    {
        var x = RandomUnitVector(new Random(3), Dimension);
        var longCode = new SimHash(Dimension, Bits).Code(x);
        var shortCode = new SimHash(Dimension, 64).Code(x);

        Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(longCode[i], shortCode[i]));
    }

    [Fact]
    public void Hamming_distance_estimates_the_angle_of_random_pairs()
    {
        // Expected Hamming distance N·θ/π with standard deviation √(N·p·(1−p)) ≤ 16 bits for N = 1024; 4.5 σ
        // (72 bits, 0.22 rad) keeps the test from flaking while a broken hash (e.g. raw signs) misses by far more.
        var hash = SimHash.For(Dimension, Bits);
        var random = new Random(4);
        for (var pair = 0; pair < 50; pair++)
        {
            var a = RandomUnitVector(random, Dimension);
            var noise = RandomUnitVector(random, Dimension);
            var mix = (float)random.NextDouble() * 2;
            var b = Normalise(a.Zip(noise, (u, v) => u + (mix * v)).ToArray());
            var angle = Math.Acos(Math.Clamp(a.Zip(b, (u, v) => (double)u * v).Sum(), -1, 1));

            var estimate = Math.PI * SimHash.Hamming(hash.Code(a), hash.Code(b)) / Bits;

            Assert.InRange(estimate, angle - 0.22, angle + 0.22);
        }
    }

    [Fact]
    public void Non_negative_vectors_get_informative_codes()
    {
        // FaceRes descriptors are non-negative: their own signs are all equal, the projections' are not.
        var hash = SimHash.For(Dimension, Bits);
        var random = new Random(5);
        var a = Normalise(Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray());
        var b = Normalise(Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray());
        var angle = Math.Acos(a.Zip(b, (u, v) => (double)u * v).Sum());

        var code = hash.Code(a);
        var ones = Enumerable.Range(0, Bits).Count(i => code[i]);
        var estimate = Math.PI * SimHash.Hamming(code, hash.Code(b)) / Bits;

        Assert.InRange(ones, Bits / 4, 3 * Bits / 4);
        Assert.InRange(estimate, angle - 0.22, angle + 0.22);
    }

    [Fact]
    public void Half_precision_input_gives_the_code_of_its_float_values()
    {
        var hash = SimHash.For(Dimension, Bits);
        var half = RandomUnitVector(new Random(6), Dimension).Select(v => (Half)v).ToArray();
        var widened = half.Select(v => (float)v).ToArray();

        Assert.Equal(0, SimHash.Hamming(hash.Code(half), hash.Code(widened)));
    }

    private static float[] RandomUnitVector(Random random, int dimension) =>
        Normalise(Enumerable.Range(0, dimension)
            .Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))
            .ToArray());

    private static float[] Normalise(float[] values)
    {
        var norm = MathF.Sqrt(values.Sum(v => v * v));
        return values.Select(v => v / norm).ToArray();
    }
}
