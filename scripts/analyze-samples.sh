#!/usr/bin/env bash
# The main job on the bundled samples: analyse samples/media into out/samples, then show what DuckDB reads there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/emmanet analyze samples/media -o out/samples "$@"
echo
echo "Faces per video, read back with DuckDB:"
node tests/tools/duckdb-query.mjs "SELECT video_id, count(DISTINCT frame_index) AS frames_6hz, count(face_index) AS faces, round(count(face_index) / count(DISTINCT frame_index), 2) AS faces_per_frame FROM 'out/samples/*.faces.parquet' GROUP BY video_id ORDER BY video_id" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.table(JSON.parse(s)))'
