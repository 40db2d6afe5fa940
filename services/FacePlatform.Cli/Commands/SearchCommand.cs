using System.CommandLine;
using System.Globalization;

namespace FacePlatform.Cli.Commands;

/// <summary><c>facectl search</c> and <c>facectl verify</c>: ask a running platform about photos.</summary>
internal static class SearchCommand
{
    public static Command CreateSearch()
    {
        var platform = new PlatformConnection();
        var collection = new Argument<string>("COLLECTION") { Description = "Id or name of the collection" };
        var photo = new Argument<FileInfo>("PHOTO") { Description = "The photo to search with (every face in it)" };
        var topK = new Option<int?>("--top") { Description = "Subjects per face (default: the platform's, 3)" };
        var search = platform.AddTo(new Command("search", "Search a collection with every face of a photo") { collection, photo, topK });
        search.SetAction((parse, token) => platform.RunAsync(parse, async client =>
        {
            var id = await CollectionsCommand.ResolveAsync(client, parse.GetRequiredValue(collection), token);
            var answer = await client.SearchAsync(id, await File.ReadAllBytesAsync(parse.GetRequiredValue(photo).FullName, token),
                parse.GetValue(topK), cancellationToken: token);
            var index = 0;
            foreach (var face in answer.Faces)
            {
                index++;
                var box = face.Box is { } b ? string.Create(CultureInfo.InvariantCulture, $"at {b.X:0},{b.Y:0} {b.Width:0}x{b.Height:0}") : string.Empty;
                Console.WriteLine(face.Unknown || face.Matches.Count == 0
                    ? $"face {index} {box}: unknown"
                    : $"face {index} {box}: " + string.Join(", ", face.Matches.Select(m =>
                        string.Create(CultureInfo.InvariantCulture, $"{m.ExternalId} ({m.Similarity:0.000})"))));
            }

            if (index == 0)
            {
                Console.WriteLine("no face found");
            }

            return 0;
        }));
        return search;
    }

    public static Command CreateVerify()
    {
        var platform = new PlatformConnection();
        var photo = new Argument<FileInfo>("PHOTO") { Description = "The photo (its largest face)" };
        var other = new Argument<FileInfo?>("OTHER") { Description = "A second photo (or give --collection and --subject)", Arity = ArgumentArity.ZeroOrOne };
        var collection = new Option<string>("--collection") { Description = "Id or name of the collection of --subject" };
        var subject = new Option<string>("--subject") { Description = "Id of an enrolled subject to compare with" };
        var verify = platform.AddTo(new Command("verify", "Same person or not: two photos, or a photo and an enrolled subject") { photo, other, collection, subject });
        verify.SetAction((parse, token) => platform.RunAsync(parse, async client =>
        {
            var first = await File.ReadAllBytesAsync(parse.GetRequiredValue(photo).FullName, token);
            Client.Rest.VerifyView answer;
            if (parse.GetValue(other) is { } second)
            {
                answer = await client.VerifyAsync(first, await File.ReadAllBytesAsync(second.FullName, token), token);
            }
            else if (parse.GetValue(collection) is { } c && parse.GetValue(subject) is { } s)
            {
                answer = await client.VerifySubjectAsync(first, await CollectionsCommand.ResolveAsync(client, c, token), s, token);
            }
            else
            {
                Console.Error.WriteLine("[verify] give a second photo, or --collection and --subject");
                return 2;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(answer.Match ? "same person" : "different people")}: similarity {answer.Similarity:0.000}, threshold {answer.Threshold:0.000}"));
            return 0;
        }));
        return verify;
    }
}
