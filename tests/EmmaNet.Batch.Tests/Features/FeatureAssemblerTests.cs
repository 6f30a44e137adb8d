using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Features;

public sealed class FeatureAssemblerTests
{
    private static readonly string[] AudioColumns = ["a0", "a1"];

    private static FrameResult Frame(long index, double seconds) => new(
        index, seconds, 640, 480,
        [new FaceDetection(100, 100, 200, 200, 0.9f, new float[12])],
        [new ExpressionFeatures(new float[7], new float[256])],
        null);

    private static AudioStep Heard(int step) => new(step, AudioTimeline.StepTime(step), [1f, 2f], 0.9f, Present: true);

    [Fact]
    public void Steps_run_over_the_whole_video_with_absent_voice_where_the_audio_did_not_reach()
    {
        using var assembler = new FeatureAssembler(SubjectChoice.Largest);
        for (var i = 0; i < 60; i++)
        {
            assembler.Add(Frame(i * 5, i / 6.0));   // 10 s of face ticks
        }
        var features = assembler.Build([Heard(0), Heard(1), Heard(2)], AudioColumns, 300, 10.0);
        Assert.Equal(Enumerable.Range(0, 20), features.Steps.Select(s => s.Step));
        Assert.All(features.Steps.Take(3), s => Assert.True(s.Audio.Present));
        Assert.All(features.Steps.Skip(3), s => Assert.False(s.Audio.Present));
        Assert.All(features.Steps.Skip(3), s => Assert.Equal([0f, 0f], s.Audio.Features));
        Assert.All(features.Steps, s => Assert.True(s.FacePresent));
    }

    [Fact]
    public void A_timeline_stretched_by_a_damaged_header_holds_only_the_steps_near_frames_and_sound()
    {
        // Three frames an hour apart (a time scale gone wrong) and 2 s of sound: 7,201 half-second steps in all.
        using var assembler = new FeatureAssembler(SubjectChoice.Largest);
        assembler.Add(Frame(0, 0));
        assembler.Add(Frame(1, 1800));
        assembler.Add(Frame(2, 3600));
        var features = assembler.Build([Heard(0), Heard(1), Heard(2), Heard(3)], AudioColumns, 3, 3600.5);
        int[] near(int step) => [.. Enumerable.Range(step - FeatureAssembler.ContextMarginSteps, (2 * FeatureAssembler.ContextMarginSteps) + 1).Where(k => k is >= 0 and < 7201)];
        Assert.Equal(string.Join(",", near(0).Concat(near(3600)).Concat(near(7200))), string.Join(",", features.Steps.Select(s => s.Step)));
        Assert.Equal(3, features.Ticks.Count);
        Assert.Contains(features.Steps, s => s.FacePresent);   // (the tracker starts a new track after an hour)
    }

    [Fact]
    public void Audio_steps_past_the_video_are_left_out()
    {
        using var assembler = new FeatureAssembler(SubjectChoice.Largest);
        assembler.Add(Frame(0, 0));
        var features = assembler.Build([.. Enumerable.Range(0, 40).Select(Heard)], AudioColumns, 1, 2.0);
        Assert.Equal([0, 1, 2, 3], features.Steps.Select(s => s.Step));
    }

    [Fact]
    public void Features_wait_in_a_hidden_temp_file_come_back_as_they_were_and_the_file_goes_with_the_assembler()
    {
        using var temp = new TempFolder();
        var embeddings = new List<float[]>();
        using (var assembler = new FeatureAssembler(SubjectChoice.Largest, temp.Path, "clip"))
        {
            for (var i = 0; i < 12; i++)
            {
                var embedding = Enumerable.Range(0, 256).Select(k => (i * 1000f) + k).ToArray();
                embeddings.Add(embedding);
                assembler.Add(Frame(i * 5, i / 6.0) with { Expressions = [new ExpressionFeatures(new float[7], embedding)] });
            }
            var spill = Assert.Single(Directory.GetFiles(temp.Path));
            Assert.Matches(@"^\.clip\.features\..*\.tmp$", Path.GetFileName(spill));
            var features = assembler.Build([], AudioColumns, 60, 2.0);
            Assert.Equal(12, features.Ticks.Count);
            for (var i = 0; i < 12; i++)
            {
                Assert.Equal(embeddings[i], features.Ticks[i].Features![..256]);
            }
        }
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Voice_steps_waiting_on_disk_build_the_steps_kept_in_memory_build_and_their_file_goes_with_them()
    {
        using var temp = new TempFolder();
        var heard = Enumerable.Range(0, 30).Where(k => k % 7 != 3)   // some steps never heard
            .Select(k => new AudioStep(k, AudioTimeline.StepTime(k), [k, -k * 0.5f], k / 30f, Present: k % 2 == 0)).ToList();
        using var assembler = new FeatureAssembler(SubjectChoice.Largest);
        for (var i = 0; i < 60; i++)
        {
            assembler.Add(Frame(i * 5, i / 6.0));
        }
        using var voice = new AudioSteps(temp.Path, "clip");   // (disposed by the features first: the file must go then)
        heard.ForEach(voice.Add);
        Assert.Matches(@"^\.clip\.voice\..*\.tmp$", Path.GetFileName(Assert.Single(Directory.GetFiles(temp.Path))));
        var fromMemory = assembler.Build(heard, AudioColumns, 300, 15.0).Steps;
        using (var fromDisk = assembler.BySubject(voice, AudioColumns, 300, 15.0, owner: voice))
        {
            var steps = fromDisk.All().Steps;
            Assert.Equal(30, steps.Count);
            Assert.Equal(fromMemory.Select(s => (s.Step, s.Time, s.Audio.SpeechProbability, s.Audio.Present)), steps.Select(s => (s.Step, s.Time, s.Audio.SpeechProbability, s.Audio.Present)));
            Assert.Equal(fromMemory.Select(s => s.Audio.Features), steps.Select(s => s.Audio.Features));
            Assert.Equal([0f, 0f], steps[3].Audio.Features);
        }
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Windows_built_from_parts_of_a_subject_are_the_windows_built_from_the_whole_subject()
    {
        // Two people for 40 s (the second away from 15 s to 21 s), timestamps a little off the 6 Hz grid, features
        // that change every tick: cut into parts of 20 ticks, each window must still find every step it reads.
        using var assembler = new FeatureAssembler(SubjectChoice.All);
        for (var i = 0; i < 240; i++)
        {
            var seconds = (i / 6.0) + (((i * 7) % 5) - 2) * 0.02;
            bool away = i is >= 90 and < 126;
            FaceDetection[] faces = away ? [Face(100)] : [Face(100), Face(400)];
            var expressions = faces.Select((_, f) => new ExpressionFeatures(
                [.. Enumerable.Range(0, 7).Select(k => (float)Math.Sin(i + k + (f * 10)))], [.. Enumerable.Range(0, 8).Select(k => (float)(i * k) + f)])).ToList();
            assembler.Add(new FrameResult(i * 5, seconds, 640, 480, faces, expressions, null));
        }
        using var features = assembler.BySubject([.. Enumerable.Range(0, 70).Select(Heard)], AudioColumns, 1200, 40.0);
        const int steps = 12;
        List<TickWindow> Windows(IEnumerable<VideoFeatures> parts) =>
            [.. parts.SelectMany(part => FeatureWindows.Build(FeatureSeries.From(part, new Dictionary<string, string>()), steps))];

        var whole = Windows(features.Each());
        Assert.True(features.Parts(20, (steps / 2) + 1).Count() > 2 * features.Subjects.Count);
        var parts = Windows(features.Parts(20, (steps / 2) + 1));

        Assert.Equal(3, features.Subjects.Count);   // without identity descriptors the one who came back is someone new
        Assert.Equal(240 + 204, whole.Count);
        Assert.Equal(whole.Select(w => (w.Subject, w.Tick, w.FrameIndex, w.FirstStep)), parts.Select(w => (w.Subject, w.Tick, w.FrameIndex, w.FirstStep)));
        for (var i = 0; i < whole.Count; i++)
        {
            var (a, b) = (whole[i].Window, parts[i].Window);
            Assert.Equal(a.FaceNow, b.FaceNow);
            Assert.Equal(a.Face, b.Face);
            Assert.Equal(a.Audio, b.Audio);
            Assert.Equal(a.Pose, b.Pose);
            Assert.Equal(a.Present, b.Present);
        }
    }

    private static FaceDetection Face(float x) => new(x, 100, x + 100, 200, 0.9f, new float[12]);
}
