using System.Collections;
using FacePlatform.Identity.Search;

namespace FacePlatform.Identity.Tests;

public sealed class CodeScanTests
{
    [Theory]
    [InlineData(1024, 500, 20)]
    [InlineData(1024, 2_048, 200)] // as many faces as the pool: still exact
    [InlineData(1024, 2_047, 100)] // an odd count: the unrolled kernel's pairs and one row after them
    [InlineData(192, 1_500, 50)] // not the unrolled kernel, halves of 2 and 1 words
    [InlineData(64, 300, 10)] // one word: no second stage
    [InlineData(1024, 1_000, 100, 512)] // other first-stage widths (benchmarks compare them)
    [InlineData(1024, 1_000, 100, 256)]
    [InlineData(1024, 1_000, 100, 64)]
    public void Up_to_the_pool_size_Nearest_equals_a_brute_force_ranking_by_Hamming_distance(int bits, int faces, int take, int headBits = 0)
    {
        var random = new Random(bits + faces + headBits);
        var scan = new CodeScan(bits, headBits);
        var stored = new List<(Guid Id, BitArray Code)>();
        for (var i = 0; i < faces; i++)
        {
            var face = (Guid.NewGuid(), RandomCode(random, bits));
            stored.Add(face);
            Assert.True(scan.Add(face.Item1, face.Item2));
        }

        var query = RandomCode(random, bits);

        Assert.Equal(BruteForce(stored, query, take), scan.Nearest(CodeScan.Pack(query), take));
    }

    [Theory]
    [InlineData(300_000, 200, 0.25)]
    [InlineData(20_000, 1_000, 0.35)] // a pool larger than the minimum
    [InlineData(20_001, 1_000, 0.35)] // an odd count: the last row counted outside the pairs
    public void Among_many_faces_the_near_ones_come_first_in_exact_order(int faces, int near, double flipped)
    {
        // Near faces differ from the query in a share of their bits (same-identity FaceRes codes: ~0.2); the first
        // stage must keep every one of them, so the answer is the brute-force ranking.
        var random = new Random(faces + near);
        var scan = new CodeScan(1024);
        var query = RandomCode(random, 1024);
        var stored = new List<(Guid Id, BitArray Code)>();
        for (var i = 0; i < faces; i++)
        {
            var code = i % (faces / near) == 0
                ? Flip(query, flipped, random)
                : RandomCode(random, 1024);
            var face = (Guid.NewGuid(), code);
            stored.Add(face);
            scan.Add(face.Item1, face.Item2);
        }

        Assert.Equal(BruteForce(stored, query, near), scan.Nearest(CodeScan.Pack(query), near));
    }

    [Fact]
    public void A_face_near_the_query_comes_first_among_many()
    {
        var random = new Random(7);
        var scan = new CodeScan(1024);
        for (var i = 0; i < 20_000; i++)
        {
            scan.Add(Guid.NewGuid(), RandomCode(random, 1024));
        }

        var query = RandomCode(random, 1024);
        var target = Guid.NewGuid();
        scan.Add(target, Flip(query, 0.2, random));

        Assert.Equal(target, scan.Nearest(CodeScan.Pack(query), 5)[0]);
    }

    [Fact]
    public void Removed_faces_are_never_returned_and_ids_are_added_once()
    {
        var random = new Random(8);
        var scan = new CodeScan(256);
        var query = RandomCode(random, 256);
        var exact = Guid.NewGuid();
        scan.Add(exact, new BitArray(query));
        var others = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in others)
        {
            scan.Add(id, RandomCode(random, 256));
        }

        Assert.False(scan.Add(exact, RandomCode(random, 256)));
        Assert.Equal(101, scan.Count);
        Assert.Equal(exact, scan.Nearest(CodeScan.Pack(query), 1)[0]);

        scan.Remove([exact, others[0]]);

        var all = scan.Nearest(CodeScan.Pack(query), 1000);
        Assert.Equal(99, all.Length);
        Assert.DoesNotContain(exact, all);
        Assert.DoesNotContain(others[0], all);
        Assert.Equal(2, scan.Removed);
    }

    [Fact]
    public void Codes_of_another_length_are_refused()
    {
        var scan = new CodeScan(1024);

        Assert.Throws<ArgumentException>(() => scan.Add(Guid.NewGuid(), new BitArray(512)));
        Assert.Throws<ArgumentException>(() => scan.Nearest(new ulong[8], 1));
    }

    [Fact]
    public void Growing_keeps_what_earlier_searches_saw()
    {
        var random = new Random(9);
        var scan = new CodeScan(64);
        var query = RandomCode(random, 64);
        var first = Guid.NewGuid();
        scan.Add(first, new BitArray(query));
        // Past the initial capacity (64 rows): the arrays are copied; the nearest face must survive the copy.
        for (var i = 0; i < 1000; i++)
        {
            scan.Add(Guid.NewGuid(), RandomCode(random, 64));
        }

        Assert.Equal(1001, scan.Count);
        Assert.Equal(first, scan.Nearest(CodeScan.Pack(query), 1)[0]);
    }

    private static Guid[] BruteForce(List<(Guid Id, BitArray Code)> stored, BitArray query, int take) =>
        stored
            .Select((face, position) => (face.Id, Distance: SimHash.Hamming(face.Code, query), position))
            .OrderBy(f => f.Distance).ThenBy(f => f.position)
            .Take(take).Select(f => f.Id).ToArray();

    /// <summary>The query with each bit flipped with probability <paramref name="share"/>.</summary>
    private static BitArray Flip(BitArray query, double share, Random random)
    {
        var code = new BitArray(query);
        for (var i = 0; i < code.Length; i++)
        {
            code[i] ^= random.NextDouble() < share;
        }

        return code;
    }

    private static BitArray RandomCode(Random random, int bits)
    {
        var code = new BitArray(bits);
        for (var i = 0; i < bits; i++)
        {
            code[i] = random.Next(2) == 1;
        }

        return code;
    }
}
