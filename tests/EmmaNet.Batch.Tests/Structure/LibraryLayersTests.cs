using System.Text.RegularExpressions;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Structure;

/// <summary>
/// The library's folders depend only downwards: no folder reaches, through the others, back to itself. A reference is
/// a namespace (<c>EmmaNet.Batch.Faces</c>) or a folder-qualified name (<c>Faces.FaceMesh</c>) in a folder's source,
/// comments other than XML documentation left out.
/// </summary>
public sealed partial class LibraryLayersTests
{
    private static string Library => Path.Combine(TestPaths.RepoRoot, "src", "EmmaNet.Batch");

    private static Dictionary<string, Dictionary<string, string>> References()
    {
        var folders = Directory.GetDirectories(Library).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).Select(f => f!).ToList();
        var graph = folders.ToDictionary(f => f, _ => new Dictionary<string, string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Library, folder), "*.cs", SearchOption.AllDirectories))
            {
                var source = PlainComment().Replace(File.ReadAllText(file), "");
                foreach (var other in folders.Where(o => o != folder && !graph[folder].ContainsKey(o)))
                {
                    if (Regex.IsMatch(source, $@"\bEmmaNet\.Batch\.{other}\b") || Regex.IsMatch(source, $@"(?<![\w.]){other}\.[A-Z]\w*"))
                    {
                        graph[folder][other] = Path.GetRelativePath(Library, file);
                    }
                }
            }
        }
        return graph;
    }

    [GeneratedRegex(@"(?<!/)//(?!/).*$", RegexOptions.Multiline)]
    private static partial Regex PlainComment();

    [Fact]
    public void No_folder_of_the_library_depends_on_itself_through_others()
    {
        var graph = References();
        Assert.True(graph.Count >= 10, $"only {graph.Count} folders found under {Library}");
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        string? Cycle(string folder)
        {
            state[folder] = 1;
            path.Add(folder);
            foreach (var next in graph[folder].Keys.Order(StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    var loop = path.SkipWhile(f => f != next).Append(next).ToList();
                    return string.Join(" -> ", loop.Zip(loop.Skip(1), (a, b) => $"{a} ({graph[a][b]})")) + $" -> {next}";
                }
                if (state.GetValueOrDefault(next) == 0 && Cycle(next) is { } found)
                {
                    return found;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[folder] = 2;
            return null;
        }
        foreach (var folder in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(folder) == 0 && Cycle(folder) is { } cycle)
            {
                Assert.Fail($"the library's folders depend on each other in a loop: {cycle}");
            }
        }
    }

    [Fact]
    public void The_finder_sees_a_known_reference()
    {
        // Pipeline runs the face networks: if this is not found, the cycle check above sees nothing either.
        Assert.True(References()["Pipeline"].ContainsKey("Faces"));
    }
}
