using FacePlatform.Identity.Search;

namespace FacePlatform.Identity.Tests;

/// <summary>The choice of candidate sources per collection, by its size, the scan budget and its code index.</summary>
public sealed class SearchPlannerTests
{
    private const long Budget = 64L << 20;
    private static readonly SearchPlanner Planner = new(Budget, inlineLoadFaces: 50_000, exactSearchFaces: 20_000);

    [Fact]
    public void A_collection_that_fits_the_budget_is_scanned_and_waits_for_its_codes_without_an_index()
    {
        var plan = Planner.Plan(new CollectionShape(Faces: 100_000, CodeBits: 1024, HasCodeIndex: false));

        Assert.Equal([new(CandidateSourceKind.Scan, SourceReason.FitsScanBudget), new(CandidateSourceKind.Exact, SourceReason.ScanLoading)], plan.Steps);
        Assert.True(plan.WaitForScan);
        Assert.False(plan.BuildCodeIndex);
    }

    [Fact]
    public void A_large_collection_with_an_index_is_read_in_the_background_while_the_index_answers()
    {
        var plan = Planner.Plan(new CollectionShape(Faces: 100_000, CodeBits: 1024, HasCodeIndex: true));

        Assert.Equal([new(CandidateSourceKind.Scan, SourceReason.FitsScanBudget), new(CandidateSourceKind.CodeIndex, SourceReason.ScanLoading)], plan.Steps);
        Assert.False(plan.WaitForScan);
    }

    [Fact]
    public void A_small_collection_with_an_index_waits_for_its_codes()
    {
        var plan = Planner.Plan(new CollectionShape(Faces: 10_000, CodeBits: 1024, HasCodeIndex: true));

        Assert.True(plan.WaitForScan);
        Assert.Equal(CandidateSourceKind.Scan, plan.Steps[0].Kind);
    }

    [Fact]
    public void Over_the_budget_the_code_index_answers()
    {
        var faces = (Budget / SearchPlanner.EstimatedScanBytes(1, 1024)) + 1;

        var plan = Planner.Plan(new CollectionShape(faces, 1024, HasCodeIndex: true));

        Assert.Equal([new(CandidateSourceKind.CodeIndex, SourceReason.OverScanBudget)], plan.Steps);
        Assert.False(plan.BuildCodeIndex);
    }

    [Fact]
    public void Over_the_budget_without_an_index_a_large_collection_gets_one_built_and_is_sorted_meanwhile()
    {
        var faces = (Budget / SearchPlanner.EstimatedScanBytes(1, 1024)) + 1;

        var plan = Planner.Plan(new CollectionShape(faces, 1024, HasCodeIndex: false));

        Assert.Equal([new(CandidateSourceKind.Exact, SourceReason.IndexBuilding)], plan.Steps);
        Assert.True(plan.BuildCodeIndex);
    }

    [Fact]
    public void With_scanning_off_a_small_collection_is_sorted_exactly_and_gets_no_index()
    {
        var plan = new SearchPlanner(0, 50_000, 20_000).Plan(new CollectionShape(Faces: 20_000, CodeBits: 1024, HasCodeIndex: false));

        Assert.Equal([new(CandidateSourceKind.Exact, SourceReason.SmallCollection)], plan.Steps);
        Assert.False(plan.BuildCodeIndex);
    }

    [Fact]
    public void The_estimate_grows_with_the_code_length()
    {
        Assert.Equal(2 * (128 + 16 + 24), SearchPlanner.EstimatedScanBytes(1, 1024));
        Assert.Equal(2 * (8 + 16 + 24), SearchPlanner.EstimatedScanBytes(1, 64));
    }
}
