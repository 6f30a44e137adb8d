using System.CommandLine;
using EmmaNet.Batch.Diagnostics;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet doctor</c>: what this machine has for the analyzer (<see cref="MachineCheck"/>), one line a check; a
/// failed required check is exit 2.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var models = CommonOptions.ModelsFolder();
        var command = new Command("doctor", "Check ffmpeg, native libraries, execution providers and models") { models };
        command.SetAction(parse =>
        {
            var failed = false;
            foreach (var (level, what, detail) in MachineCheck.Run(parse.GetValue(models)))
            {
                failed |= level == CheckLevel.Fail;
                Console.WriteLine($"{level.ToString().ToUpperInvariant(),-5} {what,-26} {detail}");
            }
            return failed ? ExitCodes.CouldNotRun : ExitCodes.Success;
        });
        return command;
    }
}
