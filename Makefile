# sprx: the two commands a person needs are `make report` and `make test`.
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/sprx
PIPELINE ?= Pipelines/referral-equity.yaml
INPUT ?= SampleData/canonical
OUT ?= out
# Where make validate and make expected write their runs: beside out/, never inside it
# (out/ is a sprx output folder, which holds only what a run writes).
VALIDATE_OUT ?= out.validate
EXPECTED_OUT ?= out.expected
# Where make check-report runs the sample pipeline (and writes the A4 PDF, beside it).
CHECK_REPORT_OUT ?= out.check-report

.PHONY: all build report test check format format-check validate expected bench compare fuzz sanitize check-duckdb check-models check-rates check-trends check-report check-declared-dimension check-spc check-slurm check-k8s check-spark fixtures clean

all: build

# A target may import only modules Package.swift makes it depend on (directly or through a
# declared dependency): an import that merely finds a module another target built fails.
IMPORT_CHECK = --explicit-target-dependency-import-check error

build:
	$(SWIFT) build -c $(CONFIG) --product sprx $(IMPORT_CHECK)

## report: run the default pipeline on SampleData into out/ (report.html, report.md, tables, manifest)
report: build
	$(BIN) run --pipeline $(PIPELINE) --input $(INPUT) --out $(OUT)
	@echo "report: $(abspath $(OUT))/report.html  (also report.md; tables: $(OUT)/tables/, manifest: $(OUT)/manifest.json)"

# The suites `make test` leaves to `make check`: a regular expression over test names
# (each such suite's name ends in SlowChecks; each says why it is slow).
SLOW_CHECKS = SlowChecks

## test: build, run every test but the slow checks (unit, end-to-end on the built binary), then validate (under 10 min on 2 cores)
## (random tests print their seed; SPRX_TEST_SEED=N replays it; .ci/run fixes it)
test:
	$(SWIFT) build --product sprx $(IMPORT_CHECK)
	$(SWIFT) test --parallel --skip '$(SLOW_CHECKS)' $(IMPORT_CHECK)
	$(MAKE) --no-print-directory validate CONFIG=debug

## check: the slow checks make test leaves out (suites *SlowChecks: full-size generated sets, repeated kills); CI runs both
check:
	$(SWIFT) build --product sprx $(IMPORT_CHECK)
	$(SWIFT) test --parallel --filter '$(SLOW_CHECKS)' $(IMPORT_CHECK)
	bash scripts/check-declared-dimension.sh

## format: reformat Sources, Tests and Package.swift in place by .swift-format (swift format, in the toolchain)
format:
	SWIFT=$(SWIFT) bash scripts/format.sh

## format-check: fail, naming file and line, where the code is not as make format writes it (CI runs it once .ci/format-enforced exists)
format-check:
	SWIFT=$(SWIFT) bash scripts/format.sh --check

# The fixture runs that CI validates: name:pipeline:input
VALIDATE_RUNS = referral-equity:Pipelines/referral-equity.yaml:SampleData/canonical \
                casebook-export:Pipelines/casebook-export.yaml:SampleData/casebook \
                case-management-export:Pipelines/case-management-export.yaml:SampleData/casemanagement \
                gp-system-search:Pipelines/gp-system-search.yaml:SampleData/gpsearch \
                hand-kept-spreadsheet:Pipelines/hand-kept-spreadsheet.yaml:SampleData/spreadsheet

## validate: run the pipelines on the fixtures and compare with SampleData/expected/
validate: build
	@status=0; for run in $(VALIDATE_RUNS); do \
	  name=$${run%%:*}; rest=$${run#*:}; pipeline=$${rest%%:*}; input=$${rest#*:}; \
	  $(BIN) run --pipeline $$pipeline --input $$input --out $(VALIDATE_OUT)/$$name --quiet || exit $$?; \
	  $(BIN) validate --pipeline $$pipeline --expected SampleData/expected/$$name --actual $(VALIDATE_OUT)/$$name || status=1; \
	done; exit $$status

## expected: regenerate SampleData/expected/ from the fixtures; read the diff before committing
expected: build
	@for run in $(VALIDATE_RUNS); do \
	  name=$${run%%:*}; rest=$${run#*:}; pipeline=$${rest%%:*}; input=$${rest#*:}; \
	  $(BIN) run --pipeline $$pipeline --input $$input --out $(EXPECTED_OUT)/$$name --quiet || exit $$?; \
	  rm -rf SampleData/expected/$$name; mkdir -p SampleData/expected/$$name; \
	  cp -R $(EXPECTED_OUT)/$$name/tables $(EXPECTED_OUT)/$$name/manifest.json SampleData/expected/$$name/; \
	done
	@git --no-pager diff --stat -- SampleData/expected 2>/dev/null || true
	@echo "review: git diff SampleData/expected   (then commit it with the change that caused it)"

## bench: sprx vs DuckDB (same job, 2 threads) over a matrix of shapes: CELLS="160k 2m-6500org ..." or all, RUNS=3; BASELINE=other/sprx adds a side-by-side build (docs/performance.md)
bench: build
	BIN=$(BIN) bash scripts/bench.sh

## compare: BASELINE=other/sprx: both builds on the fixtures and two 160,128-row sets; every output byte-identical?
compare: build
	bash scripts/compare-builds.sh

## fuzz: libFuzzer over gzip reader + CSV decoder + clean stage (FUZZ_RUNS, default 10 million)
fuzz:
	bash scripts/fuzz.sh

## sanitize: the test suite under AddressSanitizer, then ThreadSanitizer (own build folders)
## (the end-to-end tests run the sprx built beside the test bundle, so it is sanitized too)
sanitize:
	$(SWIFT) build --sanitize=address --build-path .build-asan --product sprx
	SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/Sanitizers/lsan-suppressions.txt \
	  $(SWIFT) test --sanitize=address --build-path .build-asan
	$(SWIFT) build --sanitize=thread --build-path .build-tsan --product sprx
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --sanitize=thread --build-path .build-tsan

## check-report: the sample report, then the single-nation fixture's (SampleData/single-nation: one panel a chart), in headless Chromium at 1024 px and A4 print: fails on overflow, contrast under 4.5:1, text over text, #summary off page 1, over 12 pages; rewrites docs/report-*.png from the sample
check-report: build
	python3 scripts/test_check_report.py
	rm -rf $(CHECK_REPORT_OUT) $(CHECK_REPORT_OUT)-single-nation
	$(BIN) run --pipeline $(PIPELINE) --input $(INPUT) --out $(CHECK_REPORT_OUT) --quiet
	python3 scripts/check_report.py $(CHECK_REPORT_OUT)/report.html --pdf $(CHECK_REPORT_OUT).pdf --screenshots docs
	$(BIN) run --pipeline SampleData/single-nation/pipeline.yaml --input SampleData/single-nation/sheffield_referrals.csv --out $(CHECK_REPORT_OUT)-single-nation --quiet
	python3 scripts/check_report.py $(CHECK_REPORT_OUT)-single-nation/report.html --pdf $(CHECK_REPORT_OUT)-single-nation.pdf

## check-duckdb: recount route tables for 160,128 generated rows in DuckDB and compare
check-duckdb: build
	bash scripts/check-duckdb.sh

## check-rates: recompute every rate in rates_by_group.csv for 160,128 generated rows in DuckDB and compare
check-rates: build
	bash scripts/check-rates.sh

## check-trends: recount every row of trends.csv (and organisations.csv) for 160,128 generated rows in DuckDB and compare; tables equal for --jobs 1 and 4
check-trends: build
	BIN=$(BIN) bash scripts/check-trends.sh

## check-declared-dimension: recompute the declared-dimension fixture's expected tables (DuckDB) and model (statsmodels); equal to the committed ones?
check-declared-dimension:
	bash scripts/check-declared-dimension.sh

## check-spc: recompute every charted series of spc.csv in the five fixtures' expected outputs with scripts/check-spc.R (an independent XmR in base R; apt-get install r-base-core)
check-spc:
	for d in SampleData/expected/*/; do Rscript scripts/check-spc.R $$d || exit 1; done

## check-slurm: a sharded run through a real Slurm on localhost (installs slurm-wlm and munge, starts the daemons, submits scripts/slurm's shard array and dependent merge) equals one sprx run (needs root)
check-slurm: build
	BIN=$(BIN) bash scripts/check-slurm.sh

## check-k8s: scripts/k8s's Indexed shard Job and merge Job: kubectl client dry-run when a cluster answers, else a structural check (with a self-test on broken copies); then their scripts run here as pods and the merge compared with a single run
check-k8s: build
	BIN=$(BIN) bash scripts/check-k8s.sh

## check-models: fit the default models on 160,128 generated rows in R (rows rebuilt by DuckDB) and compare
check-models: build
	bash scripts/check-models.sh

## check-spark: sprx sharded on Spark local[2] (pyspark from PyPI, Java 17; installs both if missing): 3 shards of 200,000 generated rows merged, equal to one sprx run? a failing shard fails the job?
check-spark: build
	BIN=$(BIN) bash scripts/check-spark.sh

## fixtures: regenerate the committed SampleData extracts (same seeds, same bytes)
fixtures: build
	rm -rf SampleData/canonical SampleData/casebook SampleData/casemanagement SampleData/gpsearch SampleData/spreadsheet
	$(BIN) generate --rows 3000 --seed 11 --files 2 --messy --out SampleData/canonical --organisation-lookup SampleData/organisations/canonical.csv
	$(BIN) generate --rows 1200 --seed 21 --files 1 --messy --layout casebook --out SampleData/casebook
	$(BIN) generate --rows 1500 --seed 43 --files 1 --messy --layout casemanagement --out SampleData/casemanagement
	$(BIN) generate --rows 1500 --seed 43 --files 1 --messy --layout gpsearch --out SampleData/gpsearch
	$(BIN) generate --rows 1000 --seed 60 --files 1 --messy --layout spreadsheet --out SampleData/spreadsheet
	python3 scripts/make_single_nation_fixture.py

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz out out.validate out.expected .out.lock .out.*.lock

## install: the binary to $(PREFIX)/bin/sprx, the reference data to $(PREFIX)/share/sprx/reference
## and the pipelines to $(PREFIX)/share/sprx/pipelines (without the generated sample's organisation lookup)
PREFIX ?= /usr/local
.PHONY: install
install: build
	install -d $(PREFIX)/bin $(PREFIX)/share/sprx/reference $(PREFIX)/share/sprx/pipelines
	install -m 0755 $(BIN) $(PREFIX)/bin/sprx
	install -m 0644 SampleData/reference/* $(PREFIX)/share/sprx/reference/
	@for p in Pipelines/*.yaml; do \
	  sed -e "/generated sample's organisations/d" -e '/file: \.\.\/SampleData\/organisations\//d' $$p > $(PREFIX)/share/sprx/pipelines/$${p##*/}; \
	done
	@echo "installed: $(PREFIX)/bin/sprx (reference data and pipelines in $(PREFIX)/share/sprx)"
