using FacePlatform.Gateway.Errors;

namespace FacePlatform.Gateway.Limits;

/// <summary>
/// Ranges of search parameters, checked by the gateway before any photo is decoded (identity checks them again):
/// a value outside its range is a 400 even when the photo shows no face.
/// </summary>
internal static class QueryLimits
{
    /// <summary>Identity's largest top-k (IdentityGrpcService.MaxTopK).</summary>
    public const int MaxTopK = 100;

    /// <summary>Most faces one photo may be searched or analysed for.</summary>
    public const int MaxFaces = 1000;

    /// <summary>Refuses a top-k or face count outside its range; 0 means the default for both.</summary>
    public static void Search(int topK, int maxFaces)
    {
        if (topK is < 0 or > MaxTopK)
        {
            throw ApiProblemException.BadRequest($"topK must be 1–{MaxTopK} (or 0 for the default), not {topK}");
        }

        if (maxFaces is < 0 or > MaxFaces)
        {
            throw ApiProblemException.BadRequest($"maxFaces must be 0–{MaxFaces}, not {maxFaces}");
        }
    }
}
