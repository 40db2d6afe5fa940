namespace FacePlatform.ModelImport.Tests;

/// <summary>mulberry32, the seeded generator tests/parity/generate.mjs uses for its "prng" inputs.</summary>
internal static class PrngInput
{
    public static uint[] Mulberry32(uint seed, int count)
    {
        var values = new uint[count];
        var a = seed;
        for (var i = 0; i < count; i++)
        {
            a += 0x6D2B79F5u;
            var t = (a ^ (a >> 15)) * (1u | a);
            t = (t + ((t ^ (t >> 7)) * (61u | t))) ^ t;
            values[i] = t ^ (t >> 14);
        }

        return values;
    }

    /// <summary>low + (high - low) * u / 2^32 in double, rounded to float32 (as a Float32Array store does).</summary>
    public static float[] Uniform(uint seed, int count, double low, double high) =>
        [.. Mulberry32(seed, count).Select(u => (float)(low + ((high - low) * (u / 4294967296.0))))];
}
