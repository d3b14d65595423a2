"""Run a command and write its wall time and peak memory as JSON: a small `time -v`.

    python bench/peak.py REPORT.json COMMAND [ARG ...]

The command inherits standard input, output and error; this process exits with its exit
code. Why a separate process: Linux carries a process's memory high-water mark across
`execve`, and `subprocess` starts children with vfork, so a child started by the benchmark
itself would report at least the benchmark's own peak (80 MiB after generating a ledger).
Started from here, with a real `fork` of this small interpreter, a command's `ru_maxrss`
is its own (the floor is this interpreter's resident size, about 10 MiB). The time is
measured here, around fork, exec and wait, so this interpreter's start is not counted.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python bench/peak.py REPORT.json COMMAND [ARG ...]", file=sys.stderr)
        return 2
    report, command = argv[0], argv[1:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become the command
        try:
            os.execvp(command[0], command)
        except OSError as error:
            os.write(2, f"bench/peak.py: cannot run {command[0]!r}: {error}\n".encode())
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(report, "w", encoding="utf-8") as out:
        json.dump({"seconds": seconds, "maxrss_kib": usage.ru_maxrss, "returncode": code}, out)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
