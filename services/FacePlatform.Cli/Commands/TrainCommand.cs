using System.CommandLine;
using System.Globalization;
using FacePlatform.Training;
using FacePlatform.Training.Datasets;
using FacePlatform.Training.Heads;
using FacePlatform.Vision.Inference;
using Spectre.Console;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl train</c>: heads on the frozen recogniser's features, from labelled photos read in place to a model in the
/// model directory that the services serve when configured (docs/training.md).
/// </summary>
internal static class TrainCommand
{
    private const string Formats = """
        Train heads (gender, young, age in years, a triplet-trained projection) on the frozen recogniser's features and
        write them as an ONNX model with a manifest entry into the model directory; the services serve its gender and
        age heads with Attributes__AgeGenderModel=<model id>, and the embedding service its projection as a recogniser
        of its own with Recognition__ProjectionModels__0=<model id> (collections created with that model id). Data sets
        are read in place (never copied); each DATA is a folder or a label file in one of these formats (--format,
        detected by default):
          celeba    folder with img_align_celeba/, list_attr_celeba.txt (Male, Young), identity_CelebA.txt and
                    list_eval_partition.txt (0 train, 1 validation, 2 test: left out)
          utkface   folder of age_gender_race_date.jpg files (gender 0 male, 1 female; .chip.jpg chips too)
          fairface  fairface_label_train.csv / fairface_label_val.csv (or one such CSV): file,age,gender,race with age
                    ranges such as 20-29 or "more than 70" (trained as the range's middle)
          csv       header path,subject,age,gender[,split]: paths relative to the CSV, subject = identity, gender
                    male/female (m/f), split train/validation; empty fields are missing labels
        Unreadable photos, photos without a face, and missing or malformed labels (or label files) are counted, skipped
        and summarised, never fatal. Without a split of its own a data set gets a deterministic one (SHA-256 of each
        photo's name, --validation share). Features are cached (--cache) by photo path, size, mtime and recogniser
        SHA-256; a checkpoint is written after every epoch and a rerun of the same command resumes from it.
        """;

    public static Command Create()
    {
        var data = new Argument<string[]>("DATA") { Description = "Data set folders or label files", Arity = ArgumentArity.OneOrMore };
        var format = new Option<DatasetFormat>("--format") { Description = "auto, celeba, utkface, fairface or csv", DefaultValueFactory = _ => DatasetFormat.Auto };
        var heads = new Option<string>("--heads") { Description = "Heads to train, comma-separated: gender, young, age, projection", DefaultValueFactory = _ => "gender,age" };
        var modelId = new Option<string>("--model-id") { Description = "Id of the trained model (file <id>.onnx in the model directory)", DefaultValueFactory = _ => "trained-heads" };
        var models = new Option<string?>("--models") { Description = "Model directory (default: Models__Directory, $FACEPLATFORM_MODELS_DIR or <repo>/.data/models)" };
        var backbone = new Option<string?>("--backbone") { Description = "Recogniser whose embedding the heads read (default: faceres, the services' default)" };
        var cache = new Option<string?>("--cache") { Description = "Feature cache folder (default: <model directory>/../feature-cache)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint file (default: <cache>/<model id>.checkpoint)" };
        var fresh = new Option<bool>("--fresh") { Description = "Start from scratch even when a matching checkpoint exists" };
        var epochs = new Option<int>("--epochs") { Description = "Most epochs", DefaultValueFactory = _ => 40 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per step", DefaultValueFactory = _ => 32 };
        var rate = new Option<float>("--learning-rate") { Description = "Adam step size", DefaultValueFactory = _ => 3e-3f };
        var decay = new Option<float>("--weight-decay") { Description = "Decoupled weight decay", DefaultValueFactory = _ => 1e-4f };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per head (0: linear heads)", DefaultValueFactory = _ => 64 };
        var patience = new Option<int>("--patience") { Description = "Epochs without a better validation metric before a head stops", DefaultValueFactory = _ => 6 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed (same seed, data and options: same model)", DefaultValueFactory = _ => 42 };
        var validation = new Option<double>("--validation") { Description = "Validation share where a data set has no split", DefaultValueFactory = _ => 0.2 };
        var young = new Option<float>("--young-below") { Description = "Age below which a face counts as young (where the data set has no such label)", DefaultValueFactory = _ => 30 };
        var projection = new Option<int>("--projection-width") { Description = "Width of the projection head", DefaultValueFactory = _ => 128 };
        var margin = new Option<float>("--margin") { Description = "Triplet margin on cosine similarity", DefaultValueFactory = _ => 0.2f };
        var parallel = new Option<int>("--parallel") { Description = "Photos in flight while computing features", DefaultValueFactory = _ => 2 };
        var command = new Command("train", Formats)
        {
            data, format, heads, modelId, models, backbone, cache, checkpoint, fresh, epochs, batch, rate, decay, hidden, patience, seed, validation, young,
            projection, margin, parallel,
        };
        command.SetAction(async (parse, token) =>
        {
            var kinds = new List<HeadKind>();
            foreach (var name in parse.GetRequiredValue(heads).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<HeadKind>(name, ignoreCase: true, out var kind))
                {
                    await Console.Error.WriteLineAsync($"--heads: unknown head '{name}' (gender, young, age, projection)");
                    return 2;
                }

                kinds.Add(kind);
            }

            var directory = ModelDirectory.Resolve(parse.GetValue(models) ?? Environment.GetEnvironmentVariable("Models__Directory"));
            var cacheDirectory = Path.GetFullPath(parse.GetValue(cache) ?? Path.Combine(directory, "..", "feature-cache"));
            var id = parse.GetRequiredValue(modelId);
            var checkpointPath = Path.GetFullPath(parse.GetValue(checkpoint) ?? Path.Combine(cacheDirectory, id + ".checkpoint"));
            if (parse.GetValue(fresh) && File.Exists(checkpointPath))
            {
                File.Delete(checkpointPath);
            }

            var trainer = new TrainerOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(rate),
                WeightDecay = parse.GetValue(decay),
                Hidden = parse.GetValue(hidden),
                Patience = parse.GetValue(patience),
                Seed = parse.GetValue(seed),
                CheckpointPath = checkpointPath,
                Heads = new HeadSettings
                {
                    YoungBelow = parse.GetValue(young),
                    ProjectionWidth = parse.GetValue(projection),
                    TripletMargin = parse.GetValue(margin),
                },
            };
            var recorded = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
                .Where(o => !o.Implicit)
                .ToDictionary(o => o.Option.Name, o => string.Join(" ", o.Tokens.Select(t => t.Value)), StringComparer.Ordinal);
            var request = new TrainingRequest
            {
                Datasets = parse.GetRequiredValue(data),
                Format = parse.GetValue(format),
                Heads = kinds,
                Trainer = trainer,
                ValidationFraction = parse.GetValue(validation),
                ModelsDirectory = directory,
                ModelId = id,
                Backbone = parse.GetValue(backbone),
                CacheDirectory = cacheDirectory,
                Parallel = parse.GetValue(parallel),
                RecordedOptions = recorded,
            };
            try
            {
                var result = await RunWithProgressAsync(request, token);
                Report(result);
                return 0;
            }
            catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync("facectl train: " + ex.Message);
                return 1;
            }
        });
        return command;
    }

    private static async Task<TrainingResult> RunWithProgressAsync(TrainingRequest request, CancellationToken token)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Redirected output (logs, CI): one plain line per epoch instead of live bars.
            return await TrainingRun.RunAsync(request, new LineProgress(), token);
        }

        TrainingResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                result = await TrainingRun.RunAsync(request, new BarProgress(context), token);
            });
        return result!;
    }

    private static void Report(TrainingResult result)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Logs keep the report's table whole.
            AnsiConsole.Profile.Width = 160;
        }

        var table = new Table().AddColumns("head", "metric", "pretrained", "untrained", "trained", "best epoch", "epochs", "ONNX max |diff|");
        foreach (var head in result.Heads)
        {
            table.AddRow(
                head.Head.OutputName,
                head.Head.MetricName,
                head.Baseline is { } b ? b.ToString("F4", CultureInfo.InvariantCulture) : "-",
                head.InitialMetric.ToString("F4", CultureInfo.InvariantCulture),
                head.BestMetric.ToString("F4", CultureInfo.InvariantCulture),
                head.BestEpoch.ToString(CultureInfo.InvariantCulture),
                $"{head.Epochs}{(head.StoppedEarly ? " (early stop)" : string.Empty)}",
                result.Parity[head.Head.OutputName].ToString("G3", CultureInfo.InvariantCulture));
        }

        var training = result.Entry.Training!;
        AnsiConsole.WriteLine($"photos with features: {result.Samples.Count} (train {training.TrainSize}, validation {training.ValidationSize}); features {result.FeatureTime.TotalSeconds:F1} s ({result.CacheHits} from cache), training {result.TrainTime.TotalSeconds:F1} s");
        foreach (var line in result.Report.Lines())
        {
            AnsiConsole.WriteLine(line);
        }

        AnsiConsole.Write(table);
        AnsiConsole.WriteLine($"wrote {result.ModelPath} (model '{result.Entry.Name}' version {training.Version}, sha256 {result.Entry.Sha256}) on backbone {training.Backbone}");
        if (result.Heads.Any(h => h.Head.Kind != HeadKind.Projection))
        {
            AnsiConsole.WriteLine($"serve its age and gender: Attributes__AgeGenderModel={result.Entry.Name} for the embedding and attributes services");
        }

        if (result.Heads.Any(h => h.Head.Kind == HeadKind.Projection))
        {
            AnsiConsole.WriteLine($"serve its projection: Recognition__ProjectionModels__0={result.Entry.Name} for the embedding service, then a collection with modelId {result.Entry.Name}");
        }
    }

    private static string Describe(EpochReport report) =>
        string.Create(CultureInfo.InvariantCulture, $"{report.Head.ToString().ToLowerInvariant()} epoch {report.Epoch}: loss {report.TrainLoss:F4}, validation {report.Metric:F4}{(report.Improved ? " (best)" : string.Empty)}{(report.Stopped ? ", early stop" : string.Empty)}");

    private sealed class LineProgress : ITrainingProgress
    {
        private int _total;

        public void FeaturesStarted(int total)
        {
            _total = total;
            Console.WriteLine($"features of {total} photos");
        }

        public void FeaturesProgress(int done)
        {
            if (done % 250 == 0 || done == _total)
            {
                Console.WriteLine($"features {done}/{_total}");
            }
        }

        public void TrainingStarted(IReadOnlyList<HeadKind> heads, int epochs) => Console.WriteLine($"training {string.Join(", ", heads)} for at most {epochs} epochs");

        public void Epoch(EpochReport report) => Console.WriteLine(Describe(report));
    }

    private sealed class BarProgress(ProgressContext context) : ITrainingProgress
    {
        private readonly Dictionary<HeadKind, ProgressTask> _heads = [];
        private ProgressTask? _features;

        public void FeaturesStarted(int total) => _features = context.AddTask("features", maxValue: Math.Max(1, total));

        public void FeaturesProgress(int done) => _features?.Value = done;

        public void TrainingStarted(IReadOnlyList<HeadKind> heads, int epochs)
        {
            foreach (var head in heads)
            {
                _heads[head] = context.AddTask(head.ToString().ToLowerInvariant(), maxValue: epochs);
            }
        }

        public void Epoch(EpochReport report)
        {
            var task = _heads[report.Head];
            task.Value = report.Stopped ? task.MaxValue : report.Epoch;
            task.Description = Markup.Escape(Describe(report));
        }
    }
}
