using System.CommandLine;
using FacePlatform.Cli.Commands;

// facectl's command table: one line per command group, each defined next to its handlers in Commands/.
var root = new RootCommand("facectl: the FacePlatform command line")
{
    ModelsCommand.Create(),
    AnalyzeCommand.Create(),
    EvalCommand.Create(),
    CollectionsCommand.Create(),
    EnrollFolderCommand.Create(),
    SearchCommand.CreateSearch(),
    SearchCommand.CreateVerify(),
    TrainCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
