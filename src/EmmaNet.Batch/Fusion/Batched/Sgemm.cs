using System.Numerics;
using System.Runtime.CompilerServices;

namespace EmmaNet.Batch.Fusion.Batched;

/// <summary>
/// Single-precision matrix products for the batched trainer: C[M,N] = (C or 0) + A[M,K] B[K,N], with A read through
/// strides so the same kernel computes A^T B. Register tiles of 4 rows by 2 SIMD vectors, fused multiply-adds.
/// Every element of C is summed over k in order with one rounding per step, whichever tile or tail computes it, so a
/// row's result does not depend on which other rows share the call (batch composition never changes a window's numbers).
/// </summary>
internal static unsafe class Sgemm
{
    private static readonly int V = Vector<float>.Count;

    /// <summary>C = (accumulate ? C : 0) + A B, A [M,K] row-major with leading dimension lda.</summary>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate) =>
        Run(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);

    /// <summary>C = (accumulate ? C : 0) + A^T B, A stored [K,M] row-major with leading dimension lda.</summary>
    public static void MultiplyTransposedA(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate) =>
        Run(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate);

    /// <summary>B^T into <paramref name="destination"/>: source [rows, cols] row-major becomes [cols, rows].</summary>
    public static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = source.Slice(r * cols, cols);
            for (var j = 0; j < cols; j++)
            {
                destination[(j * rows) + r] = row[j];
            }
        }
    }

    /// <summary>Number of floating-point operations of one product (a multiply-add counts two).</summary>
    public static long Flops(int m, int n, int k) => 2L * m * n * k;

    private static void Run(int m, int n, int k, ReadOnlySpan<float> a, int rowStride, int kStride, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        if ((long)(m - 1) * rowStride + ((long)(k - 1) * kStride) >= a.Length && k > 0)
        {
            throw new ArgumentException("A is smaller than its shape", nameof(a));
        }
        if (k > 0 && ((long)(k - 1) * ldb) + n > b.Length)
        {
            throw new ArgumentException("B is smaller than its shape", nameof(b));
        }
        if (((long)(m - 1) * ldc) + n > c.Length)
        {
            throw new ArgumentException("C is smaller than its shape", nameof(c));
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            var i = 0;
            for (; i + 4 <= m; i += 4)
            {
                Rows4(pa + ((long)i * rowStride), rowStride, kStride, pb, ldb, pc + ((long)i * ldc), ldc, n, k, accumulate);
            }
            for (; i < m; i++)
            {
                Row1(pa + ((long)i * rowStride), kStride, pb, ldb, pc + ((long)i * ldc), n, k, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4(float* a, int rs, int ks, float* b, int ldb, float* c, int ldc, int n, int k, bool accumulate)
    {
        var j = 0;
        var v = V;
        for (; j + (2 * v) <= n; j += 2 * v)
        {
            Vector<float> c00, c01, c10, c11, c20, c21, c30, c31;
            if (accumulate)
            {
                c00 = Load(c + j); c01 = Load(c + j + v);
                c10 = Load(c + ldc + j); c11 = Load(c + ldc + j + v);
                c20 = Load(c + (2 * ldc) + j); c21 = Load(c + (2 * ldc) + j + v);
                c30 = Load(c + (3 * ldc) + j); c31 = Load(c + (3 * ldc) + j + v);
            }
            else
            {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector<float>.Zero;
            }
            var pb = b + j;
            var pa = a;
            for (var p = 0; p < k; p++)
            {
                var b0 = Load(pb);
                var b1 = Load(pb + v);
                var a0 = new Vector<float>(pa[0]);
                c00 = Vector.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector.FusedMultiplyAdd(a0, b1, c01);
                var a1 = new Vector<float>(pa[rs]);
                c10 = Vector.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector.FusedMultiplyAdd(a1, b1, c11);
                var a2 = new Vector<float>(pa[2 * rs]);
                c20 = Vector.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector.FusedMultiplyAdd(a2, b1, c21);
                var a3 = new Vector<float>(pa[3 * rs]);
                c30 = Vector.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector.FusedMultiplyAdd(a3, b1, c31);
                pb += ldb;
                pa += ks;
            }
            Store(c00, c + j); Store(c01, c + j + v);
            Store(c10, c + ldc + j); Store(c11, c + ldc + j + v);
            Store(c20, c + (2 * ldc) + j); Store(c21, c + (2 * ldc) + j + v);
            Store(c30, c + (3 * ldc) + j); Store(c31, c + (3 * ldc) + j + v);
        }
        for (; j + v <= n; j += v)
        {
            Vector<float> c0, c1, c2, c3;
            if (accumulate)
            {
                (c0, c1, c2, c3) = (Load(c + j), Load(c + ldc + j), Load(c + (2 * ldc) + j), Load(c + (3 * ldc) + j));
            }
            else
            {
                c0 = c1 = c2 = c3 = Vector<float>.Zero;
            }
            var pb = b + j;
            var pa = a;
            for (var p = 0; p < k; p++)
            {
                var b0 = Load(pb);
                c0 = Vector.FusedMultiplyAdd(new Vector<float>(pa[0]), b0, c0);
                c1 = Vector.FusedMultiplyAdd(new Vector<float>(pa[rs]), b0, c1);
                c2 = Vector.FusedMultiplyAdd(new Vector<float>(pa[2 * rs]), b0, c2);
                c3 = Vector.FusedMultiplyAdd(new Vector<float>(pa[3 * rs]), b0, c3);
                pb += ldb;
                pa += ks;
            }
            Store(c0, c + j); Store(c1, c + ldc + j); Store(c2, c + (2 * ldc) + j); Store(c3, c + (3 * ldc) + j);
        }
        for (; j < n; j++)
        {
            float s0, s1, s2, s3;
            if (accumulate)
            {
                (s0, s1, s2, s3) = (c[j], c[ldc + j], c[(2 * ldc) + j], c[(3 * ldc) + j]);
            }
            else
            {
                s0 = s1 = s2 = s3 = 0;
            }
            var pb = b + j;
            var pa = a;
            for (var p = 0; p < k; p++)
            {
                var bv = *pb;
                s0 = MathF.FusedMultiplyAdd(pa[0], bv, s0);
                s1 = MathF.FusedMultiplyAdd(pa[rs], bv, s1);
                s2 = MathF.FusedMultiplyAdd(pa[2 * rs], bv, s2);
                s3 = MathF.FusedMultiplyAdd(pa[3 * rs], bv, s3);
                pb += ldb;
                pa += ks;
            }
            (c[j], c[ldc + j], c[(2 * ldc) + j], c[(3 * ldc) + j]) = (s0, s1, s2, s3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row1(float* a, int ks, float* b, int ldb, float* c, int n, int k, bool accumulate)
    {
        var j = 0;
        var v = V;
        for (; j + (2 * v) <= n; j += 2 * v)
        {
            var c0 = accumulate ? Load(c + j) : Vector<float>.Zero;
            var c1 = accumulate ? Load(c + j + v) : Vector<float>.Zero;
            var pb = b + j;
            var pa = a;
            for (var p = 0; p < k; p++)
            {
                var av = new Vector<float>(*pa);
                c0 = Vector.FusedMultiplyAdd(av, Load(pb), c0);
                c1 = Vector.FusedMultiplyAdd(av, Load(pb + v), c1);
                pb += ldb;
                pa += ks;
            }
            Store(c0, c + j);
            Store(c1, c + j + v);
        }
        for (; j + v <= n; j += v)
        {
            var c0 = accumulate ? Load(c + j) : Vector<float>.Zero;
            var pb = b + j;
            var pa = a;
            for (var p = 0; p < k; p++)
            {
                c0 = Vector.FusedMultiplyAdd(new Vector<float>(*pa), Load(pb), c0);
                pb += ldb;
                pa += ks;
            }
            Store(c0, c + j);
        }
        for (; j < n; j++)
        {
            var s = accumulate ? c[j] : 0f;
            var pb = b + j;
            var pa = a;
            for (var p = 0; p < k; p++)
            {
                s = MathF.FusedMultiplyAdd(*pa, *pb, s);
                pb += ldb;
                pa += ks;
            }
            c[j] = s;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(float* p) => Unsafe.ReadUnaligned<Vector<float>>(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> value, float* p) => Unsafe.WriteUnaligned(p, value);
}
