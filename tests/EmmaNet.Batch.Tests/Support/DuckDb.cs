using System.Diagnostics;
using System.Text.Json;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>Runs SQL in DuckDB (Node, from npm: tests/tools) to read our Parquet with an independent implementation.</summary>
public static class DuckDb
{
    public static List<Dictionary<string, JsonElement>> Query(string sql)
    {
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(TestPaths.DuckDbQuery);
        psi.ArgumentList.Add(sql);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"duckdb failed on {sql}: {stderr.Result}");
        }
        return JsonSerializer.Deserialize<List<Dictionary<string, JsonElement>>>(stdout)!;
    }

    public static long Count(this Dictionary<string, JsonElement> row, string column) =>
        row[column].ValueKind == JsonValueKind.String ? long.Parse(row[column].GetString()!, System.Globalization.CultureInfo.InvariantCulture) : row[column].GetInt64();

    public static double Number(this Dictionary<string, JsonElement> row, string column) =>
        row[column].ValueKind == JsonValueKind.String ? double.Parse(row[column].GetString()!, System.Globalization.CultureInfo.InvariantCulture) : row[column].GetDouble();

    public static string Text(this Dictionary<string, JsonElement> row, string column) => row[column].GetString()!;
}
