namespace EmmaNet.Batch;

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
