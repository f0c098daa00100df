# The README's commands. `make run` and `make test` each set everything up first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
DATA := $(SHARED)/data
OUT ?= out

.PHONY: setup setup-bench run track-sample serve test lint bench bench-quick bench-service clean

setup:
	@bash scripts/bootstrap.sh

## The same, plus the peer trackers (the `bench` extra), in a venv cached separately.
setup-bench:
	@EXTRAS=dev,bench bash scripts/bootstrap.sh

## The main job: start the gRPC server, stream PETS09-S2L1 (795 frames) through it with
## YOLOv5n + OSNet, write the MOT result file and print its scores.
run: setup
	$(BIN)/tracker demo --data $(DATA) --out $(OUT)/demo

## Offline, tracker only: MOT17-09 from deep_sort detections + appearance features, scored.
track-sample: setup
	$(BIN)/tracker track --seq $(DATA)/MOT17/train/MOT17-09-FRCNN \
		--dets $(DATA)/MOT17/deep_sort_npy/MOT17-09-FRCNN.npy \
		--out $(OUT)/results/MOT17-09-FRCNN.txt
	$(BIN)/tracker eval --gt $(DATA)/MOT17/train --results $(OUT)/results \
		--json $(OUT)/metrics.json

serve: setup
	$(BIN)/tracker serve

## Ours against every installed peer: accuracy, speed, memory -> benchmarks/results/<date>.*
bench: setup-bench
	$(BIN)/python -m benchmarks

bench-quick: setup-bench
	$(BIN)/python -m benchmarks --quick --out-dir $(OUT)/bench

bench-service: setup
	$(BIN)/python benchmarks/service_overhead.py
	$(BIN)/python benchmarks/service_concurrency.py
	$(BIN)/python benchmarks/service_memory.py

lint: setup
	$(BIN)/ruff check tracker tests benchmarks
	$(BIN)/ruff format --check tracker tests benchmarks
	$(BIN)/mypy tracker
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
