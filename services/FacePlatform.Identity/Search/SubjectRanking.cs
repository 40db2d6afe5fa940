using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;

namespace FacePlatform.Identity.Search;

/// <summary>One nearest face as the index returned it.</summary>
internal readonly record struct FaceCandidate(Guid FaceId, Guid SubjectId, string ExternalId, string DisplayName, float Similarity);

/// <summary>Turns the nearest faces of one query into the answer: one entry per subject (its best face).</summary>
internal static class SubjectRanking
{
    /// <summary>
    /// Subjects whose best face reaches <paramref name="threshold"/>, best first, at most <paramref name="topK"/>;
    /// <c>unknown</c> when none does.
    /// </summary>
    public static SearchResult Rank(IEnumerable<FaceCandidate> candidates, int topK, float threshold)
    {
        var best = new Dictionary<Guid, FaceCandidate>();
        foreach (var candidate in candidates)
        {
            if (candidate.Similarity < threshold)
            {
                continue;
            }

            if (!best.TryGetValue(candidate.SubjectId, out var current) || candidate.Similarity > current.Similarity)
            {
                best[candidate.SubjectId] = candidate;
            }
        }

        var result = new SearchResult { Unknown = best.Count == 0 };
        result.Matches.AddRange(best.Values
            .OrderByDescending(c => c.Similarity)
            .ThenBy(c => c.SubjectId)
            .Take(topK)
            .Select(c => new SubjectMatch
            {
                SubjectId = c.SubjectId.ToString(),
                ExternalId = c.ExternalId,
                DisplayName = c.DisplayName,
                Similarity = c.Similarity,
                FaceId = c.FaceId.ToString(),
            }));
        return result;
    }
}
