# almanac — see README.md. `make demo` and `make test` are all a newcomer needs.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
GO      ?= go
TOOLS   := $(CURDIR)/.tools/bin
export PATH := $(TOOLS):$(PATH)

DEMO_SECONDS ?= 30

.PHONY: build build-static build-nvml demo test test-deps lint cross bench golden clean

build: build-static build-nvml ## build bin/almanac (static, no cgo) and bin/almanac-nvml (also NVIDIA GPUs, through NVML: cgo)

build-static: ## build bin/almanac only (static, no cgo: no C compiler needed)
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/almanac ./cmd/almanac

build-nvml: ## build bin/almanac-nvml (cgo: needs a C compiler)
	CGO_ENABLED=1 CGO_CFLAGS="-O2 -Wno-deprecated-declarations" $(GO) build -tags nvml -ldflags "-X main.version=$(VERSION)" -o bin/almanac-nvml ./cmd/almanac

demo: build-static ## sample this machine for DEMO_SECONDS at 1 s, render the site, say where it is
	@mkdir -p demo
	@echo "sampling this machine for $(DEMO_SECONDS) s at a 1 s interval into demo/archive ..."
	timeout --preserve-status --signal=INT $(DEMO_SECONDS) bin/almanac sample --archive demo/archive --interval 1s --flush 10s --log-level warn
	bin/almanac archive ls --archive demo/archive
	@echo
	@echo "Query it with DuckDB, for example:"
	@echo "  SELECT host, date_trunc('minute', time) AS minute, avg(100 - idle_pct) AS busy_pct"
	@echo "  FROM read_parquet('$(CURDIR)/demo/archive/cpu/**/*.parquet', hive_partitioning = true)"
	@echo "  WHERE cpu = 'all' GROUP BY ALL ORDER BY ALL;"
	@echo
	bin/almanac render --archive demo/archive --out demo/site --log-level warn
	@echo "open file://$(CURDIR)/demo/site/index.html"

test-deps: ## install what the tests need when it is missing (chromium, test servers)
	@scripts/test-deps.sh
	@scripts/install-versitygw.sh

# The two longest packages are named first: go test starts packages in the
# order given, two at a time on a 2-core machine, so the longest (render,
# 12 to 15 minutes under -race on a quiet one) runs beside the others, not
# after them. Its timeout leaves room for a loaded machine.
test: test-deps lint cross ## the whole suite: .ci/run calls this
	$(GO) test -race -count=1 -timeout 30m ./render ./cmd/almanac ./...
	cd interop/duckdb && $(GO) vet ./... && $(GO) test -count=1 -timeout 10m ./...
	examples/check.sh

lint: ## gofmt, go vet, and no os/exec outside tests and their helpers (but the notifier's command channel)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@bad=$$(grep -l '"os/exec"' $$(find . -name '*.go' ! -name '*_test.go' -not -path './.tools/*' -not -path './internal/s3test/*' -not -path './internal/testfs/*' -not -path './notify/command.go') 2>/dev/null || true); \
	  if [ -n "$$bad" ]; then echo "os/exec outside tests (the sampler must not fork): $$bad"; exit 1; fi

# What must build on every OS: everything but the Linux collectors (package
# sample and almanac sample, behind build tags), so that a fleet's site can
# be rendered (from S3 too) on any workstation.
CROSS_TARGETS := darwin/amd64 darwin/arm64 windows/amd64

cross: ## build everything for macOS and Windows (the collectors are Linux only); vet it for macOS
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for t in $(CROSS_TARGETS); do \
	  os=$${t%/*}; arch=$${t#*/}; echo "cross: go build ./... for $$os/$$arch"; \
	  GOOS=$$os GOARCH=$$arch $(GO) build ./... && \
	  GOOS=$$os GOARCH=$$arch $(GO) build -o "$$tmp/" ./cmd/almanac || exit 1; \
	done
	@# Some benchmarks and tests read Unix-only rusage and inodes: vet (which
	@# covers tests) for macOS only.
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...

# Every benchmark of the module, the README's figures among them: the
# process table against its floor (sample), flush and compaction memory
# (archive: FlushMemory, CompactMemory), the sampler's resident memory with
# 1,000 processes (cmd/almanac: SampleProcessRSS) and a host-day's files and
# S3 requests (cmd/almanac: HostDay). The slow ones take one iteration.
bench: ## run the benchmarks and print the figures
	$(GO) test -run '^$$' -bench . -benchmem -timeout 120m ./... | tee bench.txt

.PHONY: fleet bench-scale
FLEET_HOSTS ?= 100
FLEET_DAYS  ?= 30
FLEET_DIR   ?= /tmp/almanac-fleet
fleet: ## write a synthetic fleet (FLEET_HOSTS x FLEET_DAYS at 10 s) into FLEET_DIR, to render or query
	$(GO) run ./cmd/fleetgen -hosts $(FLEET_HOSTS) -days $(FLEET_DAYS) -out $(FLEET_DIR)

bench-scale: ## render at scale: 10, 100 and 1,000 hosts (CPU per host-year, peak RSS); takes long
	ALMANAC_BENCH_SCALE=10x30,100x30,10x7,1000x7 $(GO) test ./render -run '^$$' -bench RenderScale -benchtime 1x -timeout 120m | tee -a bench.txt

golden: ## rewrite render's golden files; review git diff afterwards
	$(GO) test ./render -run Golden -update

clean:
	rm -rf bin demo bench.txt
