using FacePlatform.Identity.Search;

namespace FacePlatform.Identity.Tests;

public sealed class SubjectRankingTests
{
    private static readonly Guid Ada = Guid.CreateVersion7();
    private static readonly Guid Bob = Guid.CreateVersion7();
    private static readonly Guid Cyd = Guid.CreateVersion7();

    [Fact]
    public void Each_subject_appears_once_with_its_best_face_best_first()
    {
        var best = Guid.NewGuid();
        var result = SubjectRanking.Rank(
        [
            Face(Bob, 0.7f), Face(Ada, 0.6f), Face(Bob, 0.9f, best), Face(Cyd, 0.8f), Face(Ada, 0.65f),
        ], topK: 2, threshold: 0.5f);

        Assert.False(result.Unknown);
        Assert.Equal([Bob.ToString(), Cyd.ToString()], result.Matches.Select(m => m.SubjectId));
        Assert.Equal(best.ToString(), result.Matches[0].FaceId);
        Assert.Equal(0.9f, result.Matches[0].Similarity);
    }

    [Fact]
    public void Nothing_at_or_above_the_threshold_is_unknown()
    {
        var result = SubjectRanking.Rank([Face(Ada, 0.49f), Face(Bob, 0.3f)], topK: 5, threshold: 0.5f);

        Assert.True(result.Unknown);
        Assert.Empty(result.Matches);
    }

    [Fact]
    public void A_face_exactly_at_the_threshold_matches()
    {
        var result = SubjectRanking.Rank([Face(Ada, 0.5f)], topK: 5, threshold: 0.5f);

        Assert.Equal(Ada.ToString(), Assert.Single(result.Matches).SubjectId);
    }

    private static FaceCandidate Face(Guid subject, float similarity, Guid? face = null) =>
        new(face ?? Guid.NewGuid(), subject, subject.ToString("N")[..6], "name", similarity);
}
