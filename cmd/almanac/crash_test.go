//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/schema"
)

// almanacBin is the command as buildAlmanac built it, shared by every test
// of the run (TestMain removes it).
var almanacBin struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildAlmanac compiles the command once per test binary run, as
// `make build-static` builds bin/almanac, the binary users run: without
// cgo, so with no C library mapped in (which the memory benchmarks would
// count).
func buildAlmanac(t testing.TB) string {
	t.Helper()
	almanacBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "almanac-bin-")
		if err != nil {
			almanacBin.err = err
			return
		}
		almanacBin.dir, almanacBin.path = dir, filepath.Join(dir, "almanac")
		cmd := exec.Command("go", "build", "-o", almanacBin.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			almanacBin.err = fmt.Errorf("go build: %w", err)
		}
	})
	if almanacBin.err != nil {
		t.Fatal(almanacBin.err)
	}
	return almanacBin.path
}

func TestMain(m *testing.M) {
	testfs.ChildMain() // a child process of the cgroup tests: never returns
	code := m.Run()
	if almanacBin.dir != "" {
		os.RemoveAll(almanacBin.dir)
	}
	os.Exit(code)
}

// sampleRun is one almanac sample process and the sample times it said
// were appended (logged only after Append returned).
type sampleRun struct {
	cmd      *exec.Cmd
	appended chan int64
	done     chan struct{}
	notes    []string // its warnings, errors and maintenance lines; read after done
}

// startSample starts almanac sample on the archive dir, sampling and
// flushing every second and consolidating spans of consolidate.
func startSample(t *testing.T, bin, dir, consolidate string) *sampleRun {
	t.Helper()
	cmd := exec.Command(bin, "sample", "--archive", dir, "--host", "crashhost",
		"--interval", "1s", "--flush", "1s", "--consolidate", consolidate, "--log-level", "debug", "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &sampleRun{cmd: cmd, appended: make(chan int64, 1000), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Level string `json:"level"`
				Msg   string `json:"msg"`
				Time  int64  `json:"sample_time_us"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			switch {
			case line.Msg == "sample appended":
				r.appended <- line.Time
			case line.Level == "WARN" || line.Level == "ERROR" || strings.HasPrefix(line.Msg, "compaction"):
				r.notes = append(r.notes, sc.Text())
			}
		}
	}()
	return r
}

// stop ends the process with sig and returns the appended sample times.
func (r *sampleRun) stop(t *testing.T, sig syscall.Signal) []int64 {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	<-r.done
	err := r.cmd.Wait()
	if sig == syscall.SIGINT && err != nil {
		t.Errorf("almanac sample after SIGINT: %v (want exit 0)", err)
	}
	close(r.appended)
	var out []int64
	for v := range r.appended {
		out = append(out, v)
	}
	return out
}

// checkParquetFiles opens every Parquet file under dir and reads all its
// rows: none may be unreadable, whatever moment the process died at.
func checkParquetFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		n++
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Errorf("%s cannot be opened: %v", path, err)
			return nil
		}
		rows := parquet.NewReader(pf)
		buf := make([]parquet.Row, 64)
		for {
			k, err := rows.ReadRows(buf)
			_ = k
			if err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%s cannot be read: %v", path, err)
				}
				break
			}
		}
		return rows.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestKillNine kills a real almanac sample process with SIGKILL at random
// moments, many times over, and checks that every sample it reported as
// appended is in the archive in the end, once, and that no file is ever
// left that parquet-go cannot read. The sampler flushes every second and
// consolidates every 2 seconds, so kills land in flushes and in
// consolidations alike.
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a real sampler for about half a minute")
	}
	bin := buildAlmanac(t)
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var appended []int64
	const kills = 12
	// At least kills kills; more (up to twice as many) while the runs, slow
	// to start on a loaded machine, have appended fewer samples than that.
	i := 0
	for ; i < kills || len(appended) < kills && i < 2*kills; i++ {
		r := startSample(t, bin, dir, "2s")
		// Die anywhere from start-up (journal replay) to mid-flush.
		time.Sleep(time.Duration(200+rng.IntN(2800)) * time.Millisecond)
		got := r.stop(t, syscall.SIGKILL)
		appended = append(appended, got...)
		if files := checkParquetFiles(t, dir); files == 0 && i > 3 {
			t.Errorf("after %d kills no Parquet part was written", i+1)
		}
	}
	// A last clean run replays what the last kill left in the journal, and
	// runs for eight samples or more, until a span of --consolidate has
	// ended and been merged, however few samples the killed runs took, for
	// 40 samples at most. A span is merged when two parts or more begin in
	// it, and at 1 s a part begins every 2 s (sampleOptions.partEvery), or
	// more on a loaded machine that skips ticks: a run of 2 s spans alone
	// seldom merges one (the killed runs' parts, a restart apart, do). The
	// last run's spans are 8 s: two parts or more begin in each while ticks
	// come every 2 s or less.
	hourFiles := func() []string {
		hours, _ := filepath.Glob(filepath.Join(dir, schema.TableSystem, "host=crashhost", "date=*", "hour-*.parquet"))
		return hours
	}
	r := startSample(t, bin, dir, "8s")
	for n := 0; n < 8 || len(hourFiles()) == 0 && n < 40; n++ {
		appended = append(appended, <-r.appended)
	}
	appended = append(appended, r.stop(t, syscall.SIGINT)...)
	checkParquetFiles(t, dir)

	store, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	frame, err := store.Scan(schema.TableSystem, "crashhost", time.Unix(0, 0), time.Now().Add(time.Hour), "load1")
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]int{}
	for _, ts := range frame.Time {
		have[ts]++
	}
	if len(appended) < kills {
		t.Fatalf("only %d samples were appended over %d runs: the test did not exercise the sampler", len(appended), i+1)
	}
	for _, ts := range appended {
		if have[ts] == 0 {
			t.Errorf("sample at %s was reported appended but is not in the archive", time.UnixMicro(ts).UTC().Format(time.RFC3339Nano))
		}
	}
	for ts, n := range have {
		if n > 1 {
			t.Errorf("sample at %s is in the archive %d times", time.UnixMicro(ts).UTC().Format(time.RFC3339Nano), n)
		}
	}
	hours := hourFiles()
	if len(hours) == 0 {
		t.Errorf("no hour file was written: the sampler did not consolidate; the last run's warnings and maintenance:\n%s",
			strings.Join(r.notes, "\n"))
	}
	t.Logf("%d kills, %d samples appended, %d rows in the system table, %d hour files", i, len(appended), frame.Len(), len(hours))
}
