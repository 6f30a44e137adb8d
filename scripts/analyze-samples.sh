#!/usr/bin/env bash
# The main job on the bundled samples: analyse samples/media into out/samples, show what DuckDB reads there, and draw
# the timelines into out/samples/report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/emmanet analyze samples/media -o out/samples "$@"
table() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.table(JSON.parse(s)))'; }
echo
echo "Faces per video (6 Hz frames), read back with DuckDB:"
node tests/tools/duckdb-query.mjs "SELECT video_id, count(DISTINCT frame_index) AS frames_6hz, count(face_index) AS faces, round(count(face_index) / count(DISTINCT frame_index), 2) AS faces_per_frame FROM 'out/samples/*.faces.parquet' GROUP BY video_id ORDER BY video_id" | table
echo "Predicted emotion per video, share of subject-frames where the face was seen:"
node tests/tools/duckdb-query.mjs "SELECT video_id, label, count(*) AS frames, round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY video_id), 1) AS percent FROM 'out/samples/*.predictions.parquet' WHERE NOT filled GROUP BY video_id, label ORDER BY video_id, frames DESC" | table
echo "Mean attention on each modality's peak step, per video (which modality the model looked at, and how sharply):"
node tests/tools/duckdb-query.mjs "SELECT video_id, round(avg(f), 3) AS face, round(avg(a), 3) AS audio, round(avg(p), 3) AS pose FROM (SELECT video_id, subject, tick, max(attn_face) AS f, max(attn_audio) AS a, max(attn_pose) AS p FROM 'out/samples/*.attention.parquet' GROUP BY video_id, subject, tick) GROUP BY video_id ORDER BY video_id" | table
echo
scripts/emmanet report out/samples -o out/samples/report
echo "Timelines (probabilities, labels, attention): out/samples/report/index.html"
