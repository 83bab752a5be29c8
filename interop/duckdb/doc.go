// Package duckdb holds almanac's DuckDB interop tests: it writes archives
// with almanac's own archive writer, reads them back with DuckDB's
// read_parquet and runs every SQL example of the README against them.
//
// It is its own Go module because the DuckDB driver needs cgo and a large
// native library; the almanac binary stays pure Go.
package duckdb
