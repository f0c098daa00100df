# The README's commands. `make run` and `make test` each set everything up first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
DATA := $(SHARED)/data
OUT ?= out

.PHONY: setup run test lint bench clean

setup:
	@bash scripts/bootstrap.sh

## The main job: track MOT17-09 (deep_sort detections + appearance features) and score it.
run: setup
	$(BIN)/tracker track --seq $(DATA)/MOT17/train/MOT17-09-FRCNN \
		--dets $(DATA)/MOT17/deep_sort_npy/MOT17-09-FRCNN.npy \
		--out $(OUT)/results/MOT17-09-FRCNN.txt
	$(BIN)/tracker eval --gt $(DATA)/MOT17/train --results $(OUT)/results \
		--json $(OUT)/metrics.json

lint: setup
	$(BIN)/ruff check tracker tests benchmarks
	$(BIN)/ruff format --check tracker tests benchmarks
	$(BIN)/mypy tracker
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
