# Entry points; see README.md.
SWIFT ?= swift
PORT ?= 2583

.PHONY: setup run build dist test test-swift test-e2e bench bench-http bench-proxy bench-import bench-plc bench-backup fuzz clean

setup:
	./scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product pds

# A release binary with the Swift runtime linked in (dist/pds): it needs only libc, libstdc++, libz, libzstd,
# libsqlite3 and libsecp256k1 on the target machine (README "Deploying"). Built in its own build directory, so `make build` stays incremental.
dist: setup
	$(SWIFT) build -c release --product pds --static-swift-stdlib --build-path .build-dist
	mkdir -p dist
	cp .build-dist/release/pds dist/pds
	strip dist/pds
	./scripts/check-dist.sh dist/pds

run: build
	.build/release/pds serve

test:
	./scripts/setup.sh --test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	.venv/bin/python -m pytest -q Tests/e2e

test-swift:
	$(SWIFT) test

test-e2e:
	.venv/bin/python -m pytest -q Tests/e2e

bench: setup
	$(SWIFT) build -c release --product pds-bench
	.build/release/pds-bench

bench-http: build
	./scripts/setup.sh --test
	.venv/bin/python scripts/bench-http.py

bench-proxy: build
	./scripts/setup.sh --test
	.venv/bin/python scripts/bench-proxy.py

bench-import: build
	./scripts/setup.sh --test
	.venv/bin/python scripts/bench-import.py

bench-plc: build
	./scripts/setup.sh --test
	.venv/bin/python scripts/bench-plc.py

# Backups on vs off, recovery-point lag, restore speed, idle cost with 10,000 accounts (docs/backups.md; ~20 min).
bench-backup: build
	./scripts/setup.sh --test
	.venv/bin/python scripts/bench-backup.py --accounts 20 --writers 8 --duration 10 --idle-accounts 10000 --idle-active 10 --idle-duration 60

# Coverage-guided fuzzing of the parsers facing the network (libFuzzer; slow, not part of `make test`).
# FUZZ_RUNS (default 1000000) executions per target; `scripts/fuzz.sh cbor` runs one target.
fuzz:
	./scripts/fuzz.sh

clean:
	rm -rf .build .build-dist .build-fuzz .venv dist
