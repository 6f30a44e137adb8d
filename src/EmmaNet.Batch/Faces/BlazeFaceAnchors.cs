namespace EmmaNet.Batch.Faces;

/// <summary>
/// The 896 BlazeFace anchor centres (FORMATS.md section 5): a 16x16 grid with 2 anchors per cell, then an 8x8 grid
/// with 6 per cell, ordered by row, column, anchor; centre ((x + 0.5) / cells, (y + 0.5) / cells) in 0..1.
/// </summary>
public static class BlazeFaceAnchors
{
    public static readonly (int Cells, int PerCell)[] Layers = [(16, 2), (8, 6)];

    public static float[] Create()
    {
        var count = Layers.Sum(l => l.Cells * l.Cells * l.PerCell);
        var anchors = new float[count * 2];
        var i = 0;
        foreach (var (cells, perCell) in Layers)
        {
            for (var y = 0; y < cells; y++)
            {
                for (var x = 0; x < cells; x++)
                {
                    for (var a = 0; a < perCell; a++)
                    {
                        anchors[i++] = (x + 0.5f) / cells;
                        anchors[i++] = (y + 0.5f) / cells;
                    }
                }
            }
        }
        return anchors;
    }
}
