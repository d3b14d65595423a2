"""Benchmarks of `outcomes`: a synthetic ledger generator and a whole-process runner.

Run from the repository root:

    python -m bench.generate 10000 -o /tmp/ledger.jsonl   # a valid synthetic ledger
    python -m bench --events 1000000      # the full benchmark, see docs/performance.md
"""
