// Package render turns an almanac archive into a static HTML site: a fleet
// overview and, per host, charts over four ranges, processes, availability
// and facts. The site opens from any web server or straight from disk
// (file://), offline: it loads nothing but its own files.
//
// # Pages
//
//	index.html                          fleet overview (index-2.html, ... for a large fleet):
//	                                    status, open incidents, availability, CPU, memory,
//	                                    fullest filesystem, a 24 h sparkline, kernel, uptime,
//	                                    almanac's own cost over 24 h (CPU % of a core, MB/day)
//	incidents.html                      every host's incidents and the fleet rules': timeline,
//	                                    table, silences, the fleet rules
//	fleet.html                          fleet charts: CPU, memory, load per core, fullest
//	                                    filesystem and network of every host over 24 hours
//	hosts/<dir>/index.html              charts of the last 24 hours
//	hosts/<dir>/7d.html, 30d.html, 365d.html
//	                                    the same charts over 7, 30 and 365 days
//	hosts/<dir>/processes.html          processes by state and user and threads over
//	                                    24 hours, top processes by CPU time and memory, zombies
//	hosts/<dir>/processes-7d.html, processes-30d.html, processes-365d.html
//	                                    the same over 7, 30 and 365 days
//	hosts/<dir>/availability.html       uptime per window and per day, outages, reboots,
//	                                    the alerting rules' incidents
//	hosts/<dir>/incidents.html          the host's incidents (its rules' and its no-data
//	                                    ones): timeline, table, the silences that match it
//	hosts/<dir>/facts.html              hardware and kernel facts, filesystems, changes,
//	                                    almanac sample's own cost over 7 days (the self table)
//	assets/                             almanac.js, almanac.css, echarts.min.js (+ license)
//
// <dir> is a slug of the host name plus eight hex digits of its SHA-256, so
// no host name is ever used as a path. Build writes through an *os.Root
// opened on Options.Out, a folder that is missing or empty, and nowhere
// else; it writes the SiteMarker file at the top. It never replaces a
// site: almanac render builds into a site.TempDir next to --out and hands
// it to site.Swap, so a reader sees the old site or the new one.
//
// # Data
//
// Each table of a host is read once, over the longest range and only for
// the columns its charts need (the process table: raw for the last 24
// hours, see below). Every series is
// downsampled to at most about 2,000 points (the minimum and maximum of
// each bucket, in time order, so a one-sample spike survives a year view;
// buckets start at multiples of their width from the epoch, so a render
// five minutes later draws the same points for the same samples).
// Missing data is a null point, drawn as a gap: samples further apart than
// 2.5 sampling intervals (the median distance between the samples of the
// host's last day; outages take each day's own, so that a sampler whose
// interval was changed is judged by the interval in force then). Reboots
// (a change of boot time) are marked on the time axis.
//
// Tables with several rows per sample (cpu, disk, network, ...) are read one day
// partition at a time and each day is reduced for every range at once, so
// memory holds one day of rows plus the reduced series. The charts of a
// page share a budget of points (pageBudget), so that a host with dozens
// of interfaces still gets pages under 2 MB.
//
// The 7, 30 and 365 day views read closed days from the archive's rollups
// (per-minute min/avg/max for the days of the last 30, per-hour for older
// ones; archive.Store.Days lists a table's days once, ScanFiles reads
// each), so a re-render after new samples arrive reads raw rows for the
// last day or two only. Each rollup bucket feeds the
// reduction with its minimum and maximum (grid.Lo, grid.Hi), so a spike
// of one sample survives the year view, and a missing bucket is a gap as
// missing samples are. Derived series (memory used, filesystem and inode
// use) take their mean from the means and their extremes from those of
// the one column that moves (free memory, used bytes, used inodes). Raw
// rows are read for today and yesterday (the 24-hour range draws every
// sample), for a day a range drawing every sample covers, and for a day
// without a current rollup: not compacted yet, or with a part written
// after its compaction. The system table's time and boot time are always
// read raw over the whole year: availability needs every sample.
//
// Custom metrics (the custom table, custom.go) get a chart per metric
// name, titled with its HELP text, and a series per label set; a counter
// is drawn as its rate per second between consecutive samples, or between
// consecutive rollup buckets' maxima (a counter's last value); a closed
// day is kept in the day memo under the last values it starts from too
// (eachCarried), so a late row that changes them reads the next day
// again. GPUs (the
// gpu table, gpu.go) get a chart per reading that some card exposes.
//
// The processes pages draw process counts by state and by user and
// threads like the charts (proc_count and proc_user have rollups). Their
// top processes over 24 hours come from the raw process rows, summed per
// process an hour at a time (procseg.go); over 7, 30
// and 365 days from the archive's per-hour process rollup (one row per
// process identity, pid and start time, and hour) for closed days, a day
// that no range starts in summed per process (proclong.go), and from raw
// rows, summed per hour, for the others. Processes are ranked by
// CPU time (the mean CPU % of a bucket times its samples times the
// sampling interval), by peak resident memory and by disk I/O (the mean
// read and write rates of a bucket times its samples times the interval);
// the lines of the first ones are drawn per hour, by identity, so a
// reused pid is another line.
//
// Services (services.go): the charts pages stack the CPU and memory of the
// cgroup table's services (systemd units and containers; the first eight
// over the range, the rest as "other"); the processes pages rank the
// proc_group table's units, containers, users and command names by CPU
// time over the range, with their CPU stacked over time, from its hourly
// rollup for the long ranges. A click on a group shows only its processes
// in the process tables, whose rows carry their unit, container, user and
// command (data-unit, data-container, data-user, data-comm; the group row
// its data-by and data-name). The OOM marks name the victims of the
// oom_kill table and their service.
//
// # Incidents
//
// Render keeps no alerting state. A host's incidents are the alert table's
// rows (its sampler's rules) paired by rule, series and start, and those
// of the no_data fleet rules, worked out from its samples' gaps
// (alert.NoData); the count rules (alert.CountHosts) are evaluated over
// every host's values of the last 7 days, per minute, for the fleet page.
// An incident is inhibited when its host was down, silent or within
// alert.RebootGrace of a reboot when it began, or is still open while its
// host is down or silent now; silenced when a silence of
// Options.Alerts.Silences matches it (at its start, or now while open) or
// its rows say so. Inhibited and silenced incidents are not counted as
// open. A host rule's incidents are shaded (lineOpts.Bands, bands.go) on
// the chart of what it watches.
//
// Availability follows the samples of the system table: between two
// samples, a change of boot time means the host was down from the earlier
// sample to the new boot time; the same boot time with a gap means "no
// data" (the sampler was not running), which counts as neither up nor
// down. Uptime % is up time over up + down time.
//
// # Templates
//
// The templates are html/template files parsed from templates.FS (or from
// Options.Templates on top of it: a file of the same name replaces the
// built-in one, and its assets/ are copied over the built-in assets). Each
// page template gets a *pageModel:
//
//	index.html         .Hosts ([]IndexRow: .Name, .Href, .AvHref, .IncHref, .Summary, .Alerts),
//	                   .Pager ([]Link to the pages of a split overview; nil when it is one page)
//	host.html          .Host, .Range, .Tabs ([]Link), .Sections ([]Section: .Title, .Charts, .FS);
//	                   without sections, .Seen (when the host was last seen) and .DataLink
//	                   (*Link to the shortest longer range with data, or nil)
//	processes.html     .Host, .Range, .Tabs, .Procs (.TopCPU, .TopMem, .TopIO, .Zombies []ProcRow,
//	                   .TopRange, .Charts, .Buckets; never nil), and .Seen and .DataLink when
//	                   all are empty
//	fleet.html         .Fleet (.Hosts, .Buckets, .Top) and the charts in .Data
//	availability.html  .Host, .Avail (.Status, .Windows, .Calendar, .Outages, .Reboots)
//	facts.html         .Host, .Facts (.Facts, .FS, .Changes, .Self: the cost charts)
//	incidents.html     .Incidents (.Fleet, .Timeline (*Chart, or nil), .Height, .Incidents
//	                   ([]IncidentRow), .More, .Open, .Silences ([]SilenceRow), .Rules); .Host on a
//	                   host's page
//
// and, on every page, .Title, .Root (the relative path to the site root),
// .Nav, .Status, .Generated (a Time: .ISO and .Text) and .Data, the page's
// charts as a JSON object {"tz": ..., "charts": [{id, unit, kind, option, all}]}
// that goes into <script type="application/json" id="almanac-data">, where
// base.html writes its mark ({{.Data.Slot}}, filled in by fillData after
// the template ran). html/template escapes everything else; the data block
// is the one text from host data written unescaped:
// written by encoding/json (which escapes <, >, &, U+2028 and U+2029 and
// replaces invalid UTF-8), byte for byte what html/template would write
// for {{.Data}}, and checked for those before it is used (pagejson.go).
// assets/almanac.js reads that block and draws each chart into the
// element with its id, so pages carry a Content-Security-Policy that
// allows only the site's own script files (script-src 'self') and no
// inline script.
//
// The chart options are ECharts option objects built in Go with
// go-echarts' typed charts and options (chart.go; what go-echarts lacks is
// added through its ConfigurationVisitor, see echarts.go and the README's
// "Charts"); chart ids are fixed per page ("cpu", "memory", ...), so
// output is deterministic for a given archive and Options.Now.
//
// # Fleet page
//
// fleet.html draws one metric of every host per chart over the last 24
// hours (fleetchart.go): each host's summary keeps 96 peaks (15 minutes)
// per metric, taken from its 24-hour charts; the page merges adjacent
// buckets until its datasets fit fleetBudget (1,000 hosts: 32 points of
// 45 minutes, a page of about 1.3 MB). The 10 hosts with the highest mean
// are drawn; the others are in the dataset, drawn on "All hosts".
//
// # What the site script adds
//
// assets/almanac.js formats what Go leaves to the viewer: axis labels
// (one precision per axis, binary steps on byte axes, SI bits on the
// network chart), times in one form (2006-01-02 15:04:05 zone) in the
// viewer's zone or --tz, tooltips, legends that wrap above the plot, a
// "Whole range" button on charts that open zoomed on their data, the
// toolbox (PNG, and CSV of a line chart's dataset), one zoom shared by
// the time charts of a page and kept in the URL (#from=<ms>&to=<ms>),
// with earlier/later buttons and a day field that moves it,
// sortable tables
// (data-type num, text or time, the value in data-v) and the host and
// process filters. On a processes page the zoom narrows the top tables to
// the processes seen in the window (data-first, data-last, ms) and ranks
// the CPU table by the CPU time inside it, summed from each row's CPU
// seconds per bucket (data-cpub, "first:v,v,…"; buckets of 10 minutes on
// the 24-hour page, 1, 4 and 48 hours on the others, from data-b0 and
// data-bw of #proctools). On a host's chart pages a click on a time chart
// opens the processes page of that range (the 24-hour one for the last 24
// hours) zoomed on that time, taking the time of a reboot or OOM kill mark
// within 8 px. A fleet chart gets an "All hosts" button.
//
// # Fleets
//
// Build renders Options.Jobs hosts at once (default GOMAXPROCS), handing
// them out one by one, and keeps of each rendered host only its row of the
// overview (an IndexEntry), so memory grows with Jobs, not with the
// number of hosts. An overview that would weigh more than 1.5 MiB (about
// 800 hosts) is split into pages of hosts in name order, index.html,
// index-2.html, ..., linked by a pager (.Pager); the filter and the
// sorting work within a page.
//
// With Options.Shard (almanac render --shard i/n) Build renders only the
// hosts of one shard (ShardOf: a hash of the name) and writes their index
// entries, with the render time, as summaries/shard-<i>-of-<n>.json
// instead of the overview; BuildIndex (render --index) joins the n shard
// folders into the site Build would have written, and BuildFleet writes
// the fleet pages alone, for an output (an S3 prefix) the shards' host
// folders are already in. JoinShards checks that the shards agree.
//
// With Options.Cache (--render-cache) and Options.FixedNow (--now) a
// host whose archive files are unchanged since a render at the same Now
// is linked from the cache instead of being read and rendered again (see
// cache.go). A host rendered at another time (a timer's render) adds the
// closed days it read before from the cache's day memo instead of reading
// them again (daymemo.go): the readers of most tables (eachWith) feed
// accumulators whose share of a day can be kept and added again (dayAcc),
// and every day goes through them, kept or not, so both ways add up
// alike. Today and the days the ranges start in are read an hour at a
// time (readHours: raw, or from a day's rollup) and their closed hours
// kept alike, and so are the processes page's hours (procseg.go); the
// long processes pages keep each closed day's sums per process, without
// the short-lived processes that can be in no table (proclong.go): a
// timer's render reads the open hour and what changed.
package render
