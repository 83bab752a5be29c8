// Package report turns the archive into sar-style tables for a terminal,
// CSV or JSON: almanac report.
//
// A report covers a time range of one or more hosts, cut into steps
// (--every). Each section is one table of the archive, laid out as sar lays
// out the same numbers: the time first, one row per step (and per device,
// interface, mount point or resource), and "Average:" rows at the end.
//
// # Sections
//
//	cpu         sar -u      %user %nice %system %iowait %steal %idle of all CPUs (cpu)
//	load        sar -q      runq-sz blocked ldavg-1 ldavg-5 ldavg-15 (system)
//	memory      sar -r      kbmemfree kbavail kbmemused %memused kbbuffers kbcached kbdirty kbswpused %swpused (memory)
//	disk        sar -d      tps rkB/s wkB/s aqu-sz await %util per device (disk)
//	network     sar -n DEV  rxpck/s txpck/s rxkB/s txkB/s rxerr/s txerr/s rxdrop/s txdrop/s per interface (network)
//	filesystem  sar -F      MBfsfree MBfsused %fsused Ifree %Iused per mount point (filesystem)
//	pressure    sar -q PSI  %some10 %some60 %some300 %full10 %full60 %full300 per resource (pressure)
//	processes               processes by state (proc_count), then the top processes of each step by CPU (process)
//
// Each step's value is the mean of the samples in it: a rollup row counts
// for as many samples as it summarizes, so a step reads the same from raw
// rows and from rollups. Derived columns (%memused, tps, %fsused) are
// computed from the step's means, as sar computes them from its averages.
// kbmemused is total minus available memory, as free(1) counts "used";
// %fsused is used over used plus available, as df(1) counts it.
//
// # What is read
//
// A step of a minute or more reads the per-minute rollups (a whole number
// of hours: the per-hour ones) of the days that have current ones, and the
// raw rows of the others (today, a day not compacted yet); a shorter step
// reads raw rows. Only the columns a section prints are read. The process
// table has per-hour rollups only: the top processes of steps under an
// hour come from raw rows.
//
// Steps start at the report's start (From) and follow each other every
// Every. Times are shown in Options.TZ.
package report
