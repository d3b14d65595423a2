"""The raw baseline: the same JSONL lines inserted with sqlite3 `executemany` into a plain
table `(id TEXT, line TEXT)` of a fresh file, in one transaction (WAL, like the store).

The id is cut out of each line with a regular expression, so the baseline is what SQLite
and the file system can do, not a JSON parser; `--parse` decodes every line with
`json.loads` first, to show what parsing alone costs. Prints {"seconds", "rows"} as JSON:
the time in-process, from opening the file to the commit (interpreter start excluded).

    python bench/raw.py FILE DB [--parse]
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import time
from collections.abc import Iterator

ID = re.compile(r'"id": ?"([^"]*)"')


def rows(path: str, parse: bool) -> Iterator[tuple[str | None, str]]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if parse:
                yield json.loads(line).get("id"), line
            else:
                m = ID.search(line)
                yield (m[1] if m else None), line


def insert(path: str, db: str, parse: bool = False) -> tuple[float, int]:
    """Seconds taken and rows inserted."""
    start = time.perf_counter()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE events (id TEXT, line TEXT)")
    con.execute("BEGIN")
    cursor = con.executemany("INSERT INTO events (id, line) VALUES (?, ?)", rows(path, parse))
    count = cursor.rowcount
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds, count


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "--parse"):
        print("usage: python bench/raw.py FILE DB [--parse]", file=sys.stderr)
        return 2
    seconds, count = insert(argv[0], argv[1], parse=len(argv) == 3)
    print(json.dumps({"seconds": seconds, "rows": count}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
