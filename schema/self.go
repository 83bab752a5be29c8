package schema

// SelfRow is what almanac sample itself cost over one interval: CPU time
// (user and system, of the whole process: reading, alerting, the journal,
// flushes and compactions) as a share of one core, its resident memory,
// the bytes it wrote to the archive, and how long the reading took. The
// site's facts page and the overview's "cost" column read it, so a user
// can check the README's overhead figures on their own hosts.
type SelfRow struct {
	Time         int64 `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"end of the interval"`
	CPUPct       Centi `parquet:"cpu_pct,decimal(2:18),delta" kind:"percent" unit:"% of a CPU" doc:"CPU the sampler used over the interval, user and system"`
	RSSBytes     int64 `parquet:"rss_bytes,delta" kind:"gauge" unit:"bytes" doc:"the sampler's resident memory"`
	WrittenBytes int64 `parquet:"written_bytes,delta" kind:"count" unit:"bytes" doc:"bytes the sampler wrote to the archive during the interval (journal and Parquet parts)"`
	SampleMs     Centi `parquet:"sample_ms,decimal(2:18),delta" kind:"gauge" unit:"ms" doc:"wall time of the reading: from reading the first kernel file to the last row"`
}
