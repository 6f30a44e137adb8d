// Runs one SQL statement in an in-memory DuckDB and prints the rows as JSON on stdout.
// The C# tests use it as an independent Parquet reader: `node duckdb-query.mjs "SELECT ... FROM 'x.parquet'"`.
import { DuckDBInstance } from '@duckdb/node-api';

const sql = process.argv[2];
if (!sql) {
  console.error('usage: node duckdb-query.mjs "<sql>"');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
const rows = reader.getRowObjectsJson();
process.stdout.write(JSON.stringify(rows));
