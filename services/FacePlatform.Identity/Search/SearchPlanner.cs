namespace FacePlatform.Identity.Search;

/// <summary>Where a search's candidates come from (<see cref="ICandidateSource"/>).</summary>
internal enum CandidateSourceKind
{
    /// <summary>The collection's codes in this process's memory, scanned exhaustively (<see cref="CodeScans"/>).</summary>
    Scan,

    /// <summary>The HNSW index on the codes of the collection's partition in PostgreSQL.</summary>
    CodeIndex,

    /// <summary>A sort of the whole partition by Hamming distance in PostgreSQL: exact, cost linear in the collection.</summary>
    Exact,
}

/// <summary>Why a source was chosen; reported with it in metrics and in the search answer's debug info.</summary>
internal enum SourceReason
{
    /// <summary>The collection's codes fit the scan memory budget.</summary>
    FitsScanBudget,

    /// <summary>The codes fit the budget but cannot be scanned yet (read in the background, or the read failed).</summary>
    ScanLoading,

    /// <summary>The codes do not fit the scan budget (or scanning is off) and the partition has a code index.</summary>
    OverScanBudget,

    /// <summary>Over the budget, no code index, but small enough (<c>Identity:ExactSearchFaces</c>) to sort.</summary>
    SmallCollection,

    /// <summary>Over the budget and too large to sort, without a code index: one is being built in the background.</summary>
    IndexBuilding,
}

/// <summary>What the planner knows of a collection.</summary>
/// <param name="Faces">Faces in the collection.</param>
/// <param name="CodeBits">Length of its codes.</param>
/// <param name="HasCodeIndex">Whether its partition has a valid HNSW code index.</param>
internal readonly record struct CollectionShape(long Faces, int CodeBits, bool HasCodeIndex);

/// <summary>One step of a plan: ask this source, for this reason; the next step only when it cannot answer now.</summary>
internal readonly record struct PlannedSource(CandidateSourceKind Kind, SourceReason Reason);

/// <summary>What a plan decided for a collection.</summary>
/// <param name="Steps">Sources to ask in order; the first that answers serves the search.</param>
/// <param name="WaitForScan">Whether the scan step may wait for the collection's codes to be read (else it reads them in the background).</param>
/// <param name="BuildCodeIndex">Whether the collection needs a code index built in the background.</param>
internal sealed record SearchPlan(IReadOnlyList<PlannedSource> Steps, bool WaitForScan, bool BuildCodeIndex);

/// <summary>
/// Chooses the candidate sources of a collection from its size and the scan memory budget — the one place that
/// decision is made. A collection whose codes fit the budget is scanned in memory (at 1M faces recall@1 0.997 where
/// HNSW reached 0.33–0.56, docs/benchmarks.md); one over it walks its partition's code index; without an index a
/// small collection is sorted exactly and a large one gets its index built in the background, sorted meanwhile — never
/// silently: every choice is counted with its reason (<c>faceplatform_search_candidates_total</c>) and returned in
/// <c>SearchResponse.debug</c>.
/// </summary>
internal sealed class SearchPlanner(long scanBudgetBytes, long inlineLoadFaces, long exactSearchFaces)
{
    /// <summary>Memory the in-memory copy of <paramref name="faces"/> codes of <paramref name="bits"/> bits may need (twice the measured ~170 B per 1024-bit face, for the arrays' growth).</summary>
    public static long EstimatedScanBytes(long faces, int bits) => faces * (((bits + 63) / 64 * 8) + 16 + 24) * 2;

    /// <summary>The plan for a collection of this shape.</summary>
    public SearchPlan Plan(CollectionShape collection)
    {
        var fits = scanBudgetBytes > 0 && EstimatedScanBytes(collection.Faces, collection.CodeBits) <= scanBudgetBytes;
        if (fits)
        {
            // Without an index there is nothing fast to answer from while the codes load, so every size waits. The
            // second step serves only when the codes cannot be read now (loading in the background, or a failed read).
            var wait = !collection.HasCodeIndex || collection.Faces <= inlineLoadFaces;
            var meanwhile = collection.HasCodeIndex ? CandidateSourceKind.CodeIndex : CandidateSourceKind.Exact;
            return new SearchPlan(
                [new(CandidateSourceKind.Scan, SourceReason.FitsScanBudget), new(meanwhile, SourceReason.ScanLoading)],
                WaitForScan: wait, BuildCodeIndex: false);
        }

        if (collection.HasCodeIndex)
        {
            return new SearchPlan([new(CandidateSourceKind.CodeIndex, SourceReason.OverScanBudget)], WaitForScan: false, BuildCodeIndex: false);
        }

        return collection.Faces <= exactSearchFaces
            ? new SearchPlan([new(CandidateSourceKind.Exact, SourceReason.SmallCollection)], WaitForScan: false, BuildCodeIndex: false)
            : new SearchPlan([new(CandidateSourceKind.Exact, SourceReason.IndexBuilding)], WaitForScan: false, BuildCodeIndex: true);
    }
}
