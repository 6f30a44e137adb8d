using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(EmmaNet.Batch.Benchmarks.KernelBenchmarks).Assembly).Run(args);
