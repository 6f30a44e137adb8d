using EmmaNet.Batch.Inputs;

namespace EmmaNet.Batch.Tests.Pipeline;

/// <summary>Stable assignment of videos to shards, and the shard read from cluster schedulers' variables.</summary>
public sealed class ShardTests
{
    private static VideoInput Video(string stem) => new($"/archive/{stem}.mp4", stem, stem);

    [Fact]
    public void Every_video_belongs_to_exactly_one_shard_and_the_shares_are_even()
    {
        var videos = Enumerable.Range(0, 400).Select(i => Video($"clip-{i:0000}")).ToList();
        var shards = Enumerable.Range(0, 4).Select(i => new Shard(i, 4)).ToList();
        Assert.All(videos, v => Assert.Single(shards, s => s.Owns(v)));
        Assert.All(shards, s => Assert.InRange(videos.Count(s.Owns), 70, 130));
    }

    [Fact]
    public void The_assignment_is_a_fixed_function_of_the_name()
    {
        // SHA-256 of "faces" starts with e203120a667bd3ea: the same on every machine and runtime (string.GetHashCode is not).
        Assert.Equal(0xe203120a667bd3eaUL, Shard.HashOf("faces"));
        Assert.True(new Shard((int)(0xe203120a667bd3eaUL % 3), 3).Owns(Video("faces")));
    }

    [Fact]
    public void Shards_come_from_kubernetes_and_slurm_variables()
    {
        Shard? From(params (string Name, string Value)[] vars) => Shard.FromEnvironment(n => vars.FirstOrDefault(v => v.Name == n).Value);

        Assert.Equal(new Shard(2, 4), From(("JOB_COMPLETION_INDEX", "2"), ("EMMANET_SHARD_COUNT", "4")));
        Assert.Equal(new Shard(2, 4), From(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "4")));
        Assert.Equal(new Shard(0, 8), From(("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "8")));
        Assert.Null(From());
        Assert.Contains("EMMANET_SHARD_COUNT", Assert.Throws<FormatException>(() => From(("JOB_COMPLETION_INDEX", "1"))).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => From(("SLURM_ARRAY_TASK_ID", "9"), ("SLURM_ARRAY_TASK_COUNT", "4")));
        Assert.Equal(new Shard(3, 5), Shard.Parse("3/5"));
        Assert.Throws<FormatException>(() => Shard.Parse("5/5"));
        Assert.Throws<FormatException>(() => Shard.Parse("-1/5"));
    }
}
