using System.CommandLine;
using System.Globalization;
using FacePlatform.Client;
using FacePlatform.Client.Rest;

namespace FacePlatform.Cli.Commands;

/// <summary><c>facectl collections list|create|delete</c>: the galleries of a running platform.</summary>
internal static class CollectionsCommand
{
    public static Command Create()
    {
        var platform = new PlatformConnection();

        var list = platform.AddTo(new Command("list", "List the collections of the key's tenant"));
        list.SetAction((parse, token) => platform.RunAsync(parse, async client =>
        {
            var collections = await client.ListCollectionsAsync(token);
            Console.WriteLine($"{"id",-38}{"name",-30}{"subjects",10}{"faces",10}  model");
            foreach (var c in collections)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Id,-38}{c.Name,-30}{c.SubjectCount,10}{c.FaceCount,10}  {c.ModelId}"));
            }

            return 0;
        }));

        var name = new Argument<string>("NAME") { Description = "Name of the new collection (letters, digits, '.', '_', '-')" };
        var description = new Option<string>("--description") { Description = "Free text" };
        var model = new Option<string>("--model") { Description = "Recogniser the collection is bound to (default: the platform's)" };
        var dimension = new Option<int?>("--dimension") { Description = "Vector length of --model" };
        var falseAcceptRate = new Option<double?>("--false-accept-rate") { Description = "Per-search false-accept rate of the default threshold (default: the platform's, 0.01)" };
        var profile = new Option<string>("--profile") { Description = "Profile of requests on the collection that name none: accurate or fast" };
        var create = platform.AddTo(new Command("create", "Create a collection") { name, description, model, dimension, falseAcceptRate, profile });
        create.SetAction((parse, token) => platform.RunAsync(parse, async client =>
        {
            var settings = new CollectionSettings(parse.GetValue(description), parse.GetValue(model), parse.GetValue(dimension),
                parse.GetValue(falseAcceptRate), parse.GetValue(profile));
            var created = await client.CreateCollectionAsync(parse.GetRequiredValue(name), settings, token);
            Console.WriteLine(created.Id);
            return 0;
        }));

        var collection = new Argument<string>("COLLECTION") { Description = "Id or name of the collection" };
        var delete = platform.AddTo(new Command("delete", "Delete a collection with its subjects and faces") { collection });
        delete.SetAction((parse, token) => platform.RunAsync(parse, async client =>
        {
            var id = await ResolveAsync(client, parse.GetRequiredValue(collection), token);
            var deleted = await client.DeleteCollectionAsync(id, token);
            Console.WriteLine($"deleted {id}: {deleted.DeletedSubjects} subjects, {deleted.DeletedFaces} faces");
            return 0;
        }));

        return new Command("collections", "Collections of a running platform: list, create, delete") { list, create, delete };
    }

    /// <summary>The id of the collection named or identified by <paramref name="idOrName"/>; a refusal (404) when there is none.</summary>
    public static async Task<string> ResolveAsync(FacePlatformRestClient client, string idOrName, CancellationToken token) =>
        (await FindAsync(client, idOrName, token))?.Id
        ?? throw new FacePlatformApiException(System.Net.HttpStatusCode.NotFound, "Not Found", $"no collection has the id or name '{idOrName}'");

    /// <summary>The collection named or identified by <paramref name="idOrName"/>, or null.</summary>
    public static async Task<CollectionView?> FindAsync(FacePlatformRestClient client, string idOrName, CancellationToken token)
    {
        var all = await client.ListCollectionsAsync(token);
        return all.FirstOrDefault(c => c.Id == idOrName) ?? all.FirstOrDefault(c => c.Name == idOrName);
    }
}
