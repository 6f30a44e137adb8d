namespace EmmaNet.Batch.Audio;

/// <summary>
/// The audio at one 2 Hz step: the features of its 1 s window (log-mel statistics, or DeepSpectrum CNN features), the mean Silero speech probability of the
/// 32 ms chunks centred in that window, and the modality mask: present when the video has audio and speech is
/// likely (silence counts as missing voice).
/// </summary>
public sealed record AudioStep(int Step, double Time, float[] Features, float SpeechProbability, bool Present);
