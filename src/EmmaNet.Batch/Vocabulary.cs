using System.Reflection;

namespace EmmaNet.Batch;

/// <summary>This program, as outputs and exported models name it.</summary>
public static class Tool
{
    /// <summary>The informational version without its source-revision suffix.</summary>
    public static string Version { get; } =
        typeof(Tool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}

/// <summary>The ABAW expression classes, in the challenge's order (label 0-7): what the fusion network predicts and evaluation scores.</summary>
public static class AbawExpressions
{
    public static readonly IReadOnlyList<string> Classes = ["Neutral", "Anger", "Disgust", "Fear", "Happiness", "Sadness", "Surprise", "Other"];
}

/// <summary>The three modalities, in the order of every mask, encoder and attention output.</summary>
public static class Modalities
{
    public const int Count = 3;

    public static readonly IReadOnlyList<string> Names = ["face", "audio", "pose"];
}
