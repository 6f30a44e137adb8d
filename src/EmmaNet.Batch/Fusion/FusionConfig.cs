namespace EmmaNet.Batch.Fusion;

/// <summary>The ablation variants of EMMA-NET.md section 3 (the paper's Table 2), all from one network.</summary>
public enum FusionVariant
{
    /// <summary>z = f_c: the current face alone.</summary>
    Face,

    /// <summary>z = [C_f; C_a; C_p]: attention contexts without the current face.</summary>
    Context,

    /// <summary>z = [f_c; mean H_f; mean H_a; mean H_p]: mean-pooled encodings instead of attention.</summary>
    Concat,

    /// <summary>z = [f_c; b_f mean H_f; b_a mean H_a; b_p mean H_p], b = softmax of three learned weights.</summary>
    Additive,

    /// <summary>z = [f_c; g_f mean H_f; ...], g_m = sigmoid(a_m . mean H_m + c_m): a gate per modality.</summary>
    Gating,

    /// <summary>z = [f_c; C_f; C_a; C_p]: the full model (eq. 6).</summary>
    Attention,
}

/// <summary>
/// Sizes and settings of the fusion network: T steps of face, audio and pose features (D_f, D_a, D_p), GRU encoders
/// (2 layers; bidirectional for the face, optionally for audio and pose), attention key size d_k, the head's hidden
/// size and dropout, 8 classes in ABAW order. Each encoder also reads its modality's presence at each step
/// (<see cref="PresenceInput"/>) so an absent step never looks like a present all-zero feature, and optionally the
/// step's position in the window.
/// </summary>
public sealed record FusionConfig(
    int Steps = 12,
    int FaceSize = 263,
    int AudioSize = 256,
    int PoseSize = 51,
    int Hidden = 128,
    int Layers = 2,
    bool BidirectionalContext = false,
    int KeySize = 64,
    int HeadHidden = 128,
    double Dropout = 0.3,
    FusionVariant Variant = FusionVariant.Attention,
    int Classes = 8,
    bool PresenceInput = true,
    bool StepPosition = false)
{
    /// <summary>Values each encoder reads per step: the modality's features, then its presence (1 present, 0 absent) when <see cref="PresenceInput"/>, then the step's position in the window, (t + 1/2) / T - 1/2, when <see cref="StepPosition"/>.</summary>
    public int EncoderInput(int modality) => (modality switch { 0 => FaceSize, 1 => AudioSize, _ => PoseSize }) + (PresenceInput ? 1 : 0) + (StepPosition ? 1 : 0);

    /// <summary>The position value of step t.</summary>
    public double Position(int t) => ((t + 0.5) / Steps) - 0.5;

    public int FaceEncoding => 2 * Hidden;

    public int ContextEncoding => BidirectionalContext ? 2 * Hidden : Hidden;

    /// <summary>Size of one modality's encoding: 0 face, 1 audio, 2 pose.</summary>
    public int Encoding(int modality) => modality == 0 ? FaceEncoding : ContextEncoding;

    public bool UsesFaceNow => Variant != FusionVariant.Context;

    public bool UsesEncoders => Variant != FusionVariant.Face;

    /// <summary>Size of z, the head's input.</summary>
    public int FusedSize => (UsesFaceNow ? FaceSize : 0) + (UsesEncoders ? FaceEncoding + (2 * ContextEncoding) : 0);
}
