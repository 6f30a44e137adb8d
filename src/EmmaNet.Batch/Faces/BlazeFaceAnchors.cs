namespace EmmaNet.Batch.Faces;

/// <summary>
/// BlazeFace anchor centres (FORMATS.md section 5). At the model's nominal square size: a 16x16 grid with 2 anchors
/// per cell, then an 8x8 grid with 6 per cell (896), ordered by row, column, anchor; centre ((x + 0.5) / cols,
/// (y + 0.5) / rows) in 0..1. An input of another width and height keeps the cells' size in pixels, so a 256x160
/// input of the back model has 16x10 and 8x5 grids.
/// </summary>
public static class BlazeFaceAnchors
{
    /// <summary>Each layer's cells across the nominal square and anchors per cell.</summary>
    public static readonly (int CellsAcross, int PerCell)[] Layers = [(16, 2), (8, 6)];

    /// <summary>The coarsest layer's cell size in input pixels: input sides must be multiples of it.</summary>
    public static int CoarsestStride(int nominalSize) => nominalSize / Layers.Min(l => l.CellsAcross);

    public static float[] Create(int width, int height, int nominalSize)
    {
        var grids = Layers.Select(l => (Cols: width * l.CellsAcross / nominalSize, Rows: height * l.CellsAcross / nominalSize, l.PerCell)).ToList();
        var anchors = new float[grids.Sum(g => g.Cols * g.Rows * g.PerCell) * 2];
        var i = 0;
        foreach (var (cols, rows, perCell) in grids)
        {
            for (var y = 0; y < rows; y++)
            {
                for (var x = 0; x < cols; x++)
                {
                    for (var a = 0; a < perCell; a++)
                    {
                        anchors[i++] = (x + 0.5f) / cols;
                        anchors[i++] = (y + 0.5f) / rows;
                    }
                }
            }
        }
        return anchors;
    }
}
