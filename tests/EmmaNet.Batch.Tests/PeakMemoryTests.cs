using System.Runtime.InteropServices;

namespace EmmaNet.Batch.Tests;

/// <summary>The peak resident memory bench reports (Linux), and its reset: after it, memory freed before no longer counts.</summary>
public sealed class PeakMemoryTests
{
    [Fact]
    public void A_reset_peak_forgets_memory_freed_before_it()
    {
        const int size = 256 << 20;
        var block = Marshal.AllocHGlobal(size);
        try
        {
            for (var offset = 0; offset < size; offset += 4096)
            {
                Marshal.WriteByte(block, offset, 1);   // touched, so resident
            }
            Assert.True(PeakMemory.Bytes() >= size);
        }
        finally
        {
            Marshal.FreeHGlobal(block);   // a block this large goes back to the system at once (glibc's mmap threshold)
        }
        var before = PeakMemory.Bytes();

        Assert.True(PeakMemory.Reset());

        Assert.InRange(PeakMemory.Bytes(), 1, before - (size / 2));
    }
}
