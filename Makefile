# sprx: the two commands a person needs are `make report` and `make test`.
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/sprx
PIPELINE ?= Pipelines/referral-equity.yaml
INPUT ?= SampleData/canonical
OUT ?= out

.PHONY: all build report test bench check-duckdb check-models fixtures clean

all: build

build:
	$(SWIFT) build -c $(CONFIG) --product sprx

## report: run the default pipeline on SampleData into out/
report: build
	$(BIN) run --pipeline $(PIPELINE) --input $(INPUT) --out $(OUT)
	@echo "tables: $(OUT)/tables/  manifest: $(OUT)/manifest.json  quarantine: $(OUT)/quarantine/rejected.csv.gz"

## test: build and run the whole test suite (unit, end-to-end on the built binary)
test:
	$(SWIFT) build --product sprx
	$(SWIFT) test --parallel

## bench: ingest + clean (+ enrich/aggregate) throughput on 160,128 generated rows
bench: build
	bash scripts/bench.sh

## check-duckdb: recount route tables for 160,128 generated rows in DuckDB and compare
check-duckdb: build
	bash scripts/check-duckdb.sh

## check-models: fit the default models on 160,128 generated rows in R (rows rebuilt by DuckDB) and compare
check-models: build
	bash scripts/check-models.sh

## fixtures: regenerate the committed SampleData extracts (same seeds, same bytes)
fixtures: build
	rm -rf SampleData/canonical SampleData/casebook
	$(BIN) generate --rows 3000 --seed 11 --files 2 --messy --out SampleData/canonical
	$(BIN) generate --rows 1200 --seed 21 --files 1 --messy --layout casebook --out SampleData/casebook

clean:
	rm -rf .build out
