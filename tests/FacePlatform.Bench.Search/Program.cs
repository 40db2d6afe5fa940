using FacePlatform.Bench.Search;

return await SearchBenchmark.RunAsync(BenchOptions.Parse(args));
