using System.Text.Json;
using System.Text.Json.Serialization;

namespace FacePlatform.ModelImport.Tests;

/// <summary>One model's reference outputs from TensorFlow.js (tests/parity/fixtures/NAME.json).</summary>
internal sealed record ParityFixture(
    string Model,
    string Package,
    string Input,
    IReadOnlyList<string> Outputs,
    IReadOnlyList<ParityCase> Cases,
    ParityGenerator? Generator = null)
{
    public static ParityFixture Load(string model)
    {
        var path = Path.Combine(TestPaths.Fixtures, model + ".json");
        return JsonSerializer.Deserialize(File.ReadAllBytes(path), FixtureJsonContext.Default.ParityFixture)
            ?? throw new InvalidDataException($"{path} is empty.");
    }
}

/// <summary>What computed the reference: the TF.js version and backend.</summary>
internal sealed record ParityGenerator(string Tfjs, string Backend);

/// <summary>One input batch and the outputs TF.js computed for it.</summary>
internal sealed record ParityCase(
    string Name,
    string Kind,
    IReadOnlyList<long> Shape,
    IReadOnlyDictionary<string, ReferenceTensor> Outputs,
    IReadOnlyList<uint>? Seeds = null,
    double Low = 0,
    double High = 0,
    string? Pixels = null,
    double Scale = 1,
    double Offset = 0,
    string? Source = null)
{
    /// <summary>The case in words, for the manifest's parity record.</summary>
    public string Describe() => Kind == "prng"
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Name}: {Shape[0]} mulberry32 inputs (seeds {string.Join(", ", Seeds ?? [])}) uniform over [{Low}, {High}]")
        : $"{Name}: {Shape[0]} face crops of {Source} at {Shape[1]}x{Shape[2]}";

    /// <summary>The float32 input batch, rebuilt exactly as the generator built it.</summary>
    public float[] BuildInput()
    {
        var perItem = (int)(Shape[1] * Shape[2] * Shape[3]);
        if (Kind == "prng")
        {
            return [.. Seeds!.SelectMany(seed => PrngInput.Uniform(seed, perItem, Low, High))];
        }

        var bytes = Convert.FromBase64String(Pixels!);
        return [.. bytes.Select(b => (float)((b * Scale) + Offset))];
    }
}

internal sealed record ReferenceTensor(IReadOnlyList<long> Shape, string Data)
{
    public float[] Values()
    {
        var bytes = Convert.FromBase64String(Data);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ParityFixture))]
internal sealed partial class FixtureJsonContext : JsonSerializerContext;
