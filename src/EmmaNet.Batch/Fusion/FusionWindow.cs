namespace EmmaNet.Batch.Fusion;

/// <summary>
/// One input of the fusion network: T steps of face, audio and pose features, the current face f_c, and which of the
/// three modalities is present at each step (<c>Present[t][m]</c>, m = 0 face, 1 audio, 2 pose).
/// </summary>
public sealed record FusionWindow(double[][] Face, double[][] Audio, double[][] Pose, double[] FaceNow, bool[][] Present);

/// <summary>The network's reading of a window: class logits and probabilities, and each modality's attention over the steps (zeros where absent, or for variants without attention).</summary>
public sealed record FusionOutput(double[] Logits, double[] Probabilities, double[][] Attention);

/// <summary>The loss weights of EMMA-NET.md section 4: L = CE + lambda_rec L_rec + lambda_smooth L_smooth; class weights optional.</summary>
public sealed record LossSettings(double ReconstructionWeight = 0.1, double SmoothWeight = 0.05, double[]? ClassWeights = null);
