using System.Collections;
using FacePlatform.Identity.Search;

namespace FacePlatform.Identity.Tests;

public sealed class CodeScanTests
{
    [Theory]
    [InlineData(1024, 500, 20)]
    [InlineData(1024, 70_000, 200)] // more than one part: the parallel path
    [InlineData(192, 3_000, 50)] // not the unrolled 1024-bit kernel
    public void Nearest_equals_a_brute_force_ranking_by_Hamming_distance(int bits, int faces, int take)
    {
        var random = new Random(bits + faces);
        var scan = new CodeScan(bits);
        var stored = new List<(Guid Id, BitArray Code)>();
        for (var i = 0; i < faces; i++)
        {
            var face = (Guid.NewGuid(), RandomCode(random, bits));
            stored.Add(face);
            Assert.True(scan.Add(face.Item1, face.Item2));
        }

        var query = RandomCode(random, bits);
        var expected = stored
            .Select((face, position) => (face.Id, Distance: SimHash.Hamming(face.Code, query), position))
            .OrderBy(f => f.Distance).ThenBy(f => f.position)
            .Take(take).Select(f => f.Id).ToArray();

        Assert.Equal(expected, scan.Nearest(CodeScan.Pack(query), take));
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
        var near = new BitArray(query);
        for (var i = 0; i < 200; i++)
        {
            near[random.Next(1024)] ^= true;
        }

        var target = Guid.NewGuid();
        scan.Add(target, near);

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
