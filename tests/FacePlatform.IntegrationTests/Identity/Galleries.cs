using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>Test data for galleries: face-like unit vectors and enrolment shortcuts.</summary>
internal static class Galleries
{
    /// <summary>A random unit vector (seeded, so a failing test can be rerun as it was).</summary>
    public static float[] RandomUnit(Random random, int dimension = 1024)
    {
        var values = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            // Box-Muller: Gaussian components make the direction uniform on the sphere.
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return Normalise(values);
    }

    /// <summary>Another face of the person <paramref name="centre"/>: cosine to the centre ≈ 1 / sqrt(1 + noise²).</summary>
    public static float[] FaceOf(float[] centre, Random random, float noise = 0.5f)
    {
        var offset = RandomUnit(random, centre.Length);
        return Normalise(centre.Select((c, i) => c + (noise * offset[i])).ToArray());
    }

    public static Embedding Embedding(float[] values, string modelId = "faceres") =>
        new() { ModelId = modelId, Values = { values } };

    public static float Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();

    public static string Sha(int n) => n.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<Collection> NewCollectionAsync(this IdentityService.IdentityServiceClient client, string tenant,
        string name = "gallery", string modelId = "", int dimension = 0) =>
        await client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = name, ModelId = modelId, Dimension = dimension });

    public static async Task<Subject> NewSubjectAsync(this IdentityService.IdentityServiceClient client, string tenant, string collection,
        string externalId, string displayName = "") =>
        await client.CreateSubjectAsync(new CreateSubjectRequest
        {
            TenantId = tenant,
            CollectionId = collection,
            ExternalId = externalId,
            DisplayName = displayName,
        });

    public static async Task<EnrollResponse> EnrollAsync(this IdentityService.IdentityServiceClient client, string tenant,
        string collection, string subject, IEnumerable<float[]> faces, string requestId = "", int firstSha = -1, string modelId = "faceres")
    {
        var request = new EnrollRequest { TenantId = tenant, CollectionId = collection, SubjectId = subject, RequestId = requestId };
        var n = firstSha;
        foreach (var face in faces)
        {
            request.Faces.Add(new FaceToEnroll
            {
                Embedding = Embedding(face, modelId),
                Quality = 0.9f,
                Box = new Box { X = 1, Y = 2, Width = 30, Height = 40 },
                ImageSha256 = n >= 0 ? Sha(n++) : string.Empty,
            });
        }

        return await client.EnrollAsync(request);
    }

    public static async Task<SearchResponse> SearchAsync(this IdentityService.IdentityServiceClient client, string tenant,
        string collection, float[] query, float? threshold = null, int topK = 5)
    {
        var request = new SearchRequest { TenantId = tenant, CollectionId = collection, TopK = topK, Queries = { Embedding(query) } };
        if (threshold is { } value)
        {
            request.Threshold = value;
        }

        return await client.SearchAsync(request);
    }

    /// <summary>The answer without its debug info (where the candidates came from), for comparing answers' content.</summary>
    public static SearchResponse WithoutDebug(this SearchResponse answer)
    {
        answer.Debug = null;
        return answer;
    }

    private static float[] Normalise(float[] values)
    {
        var norm = (float)Math.Sqrt(values.Sum(v => (double)v * v));
        return values.Select(v => v / norm).ToArray();
    }
}
