# delphi: make run starts the service; make test runs every test. Needs Go and gcc (cgo SQLite).
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/delphi
export CGO_ENABLED := 1

.PHONY: help run build generate generate-check test test-short lint fmt vet bench load fuzz cover browser-deps clean test-long

help: ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/delphi
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/delphi

generate: ## regenerate the templ components (templates/*_templ.go) with the templ pinned in go.mod
	$(GO) tool templ generate -path templates

generate-check: ## fail when templates/*_templ.go are not what the .templ files generate
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp -R templates "$$tmp/" && \
	  { out=$$($(GO) tool templ generate -path "$$tmp/templates" 2>&1) || { echo "$$out"; exit 1; }; } && \
	  stale=0 && for f in $$tmp/templates/*_templ.go; do \
	    cmp -s "$$f" "templates/$${f##*/}" || { echo "stale: templates/$${f##*/}"; stale=1; }; done && \
	  for f in templates/*_templ.go; do [ -e "$$tmp/templates/$${f##*/}" ] || { echo "no .templ for $$f"; stale=1; }; done && \
	  if [ $$stale = 1 ]; then echo "run make generate and commit the result"; exit 1; fi

run: build ## start the service on ./data/delphi.db with a ready CART-CD study
	./$(BIN) serve

test: generate-check lint browser-deps ## generated files current, lint, then every test (race detector on, browser tests included)
	$(GO) test -race -count=1 ./...

test-short: generate-check ## every test except the browser suite, without -race
	$(GO) test -short -count=1 ./...

test-long: ## the long reliability run: crash test with DELPHI_CRASH_KILLS (25) SIGKILLs, then every fuzz target for FUZZTIME (2m)
	DELPHI_CRASH_KILLS=$${DELPHI_CRASH_KILLS:-25} $(GO) test -count=1 -timeout 60m -v -run '^TestCrashKill9$$' ./cmd/delphi
	$(MAKE) fuzz FUZZTIME=$${FUZZTIME:-2m}

lint: fmt vet ## gofmt and go vet must be clean

fmt: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

bench: ## Go benchmarks of the hot paths (figures go in BENCHMARKS.md)
	$(GO) test -run '^$$' -bench . -benchmem ./...

load: build ## load test behind BENCHMARKS.md: RUNS (default 3) runs of cmd/delphi-load, medians vs targets
	$(GO) build -o bin/delphi-load ./cmd/delphi-load
	./bin/delphi-load -bin $(BIN) -runs $${RUNS:-3} $(LOADFLAGS)

fuzz: ## run each fuzz target (every package) for FUZZTIME (default 30s)
	@for t in $$($(GO) test -list 'Fuzz.*' ./... | awk '/^Fuzz/{f[n++]=$$1} /^ok/{for(i=0;i<n;i++) print $$2":"f[i]; n=0}'); do \
		pkg=$${t%%:*}; f=$${t#*:}; echo "== $$pkg $$f"; \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; done

cover: ## coverage report in cover.out
	$(GO) test -count=1 -coverprofile=cover.out ./... && $(GO) tool cover -func=cover.out | tail -1

browser-deps: ## install Debian's chromium for the browser tests when missing (needs root)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "installing chromium for the browser tests"; \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "WARNING: could not install chromium: browser tests will be skipped LOUDLY"; \
	    else echo "WARNING: chromium not found and cannot install it: browser tests will be skipped"; fi; }

clean: ## remove build output
	rm -rf bin cover.out
