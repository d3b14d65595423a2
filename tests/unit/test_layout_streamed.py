"""The whole ledger's timeline as CSV is written from a spool, its columns decided by
every row as when it was held whole (layout.spooled_timeline_csv)."""

from __future__ import annotations

from outcomes.projections.present.layout import spooled_timeline_csv, timeline_csv


def record(n: int, **extra: object) -> dict:
    return {"venture": "v", "program": "p", "date": "2015-01-01", "position": n,
            "id": f"e{n}", "type": "SalesReported", "summary": "revenue\u2028 \"x\"\n",
            "figure": "1.50", "currency": "EUR", "source": "s", "corrected": 0, "note": None,
            **extra}


def test_the_spooled_rows_and_columns_are_those_held_whole() -> None:
    cited = [{"id": "c", "occurred_on": "2016-01-01", "source": "t", "evidence": "filed"}]
    for records in ([record(1), record(2)],
                    [record(1), record(2, evidence="audited")],
                    [record(1, corrected=1, corrected_by=cited), record(2, evidence="press")]):
        columns, rows = timeline_csv({"timeline": records})
        with spooled_timeline_csv({"timeline": iter(records)}) as (spooled, again):
            assert [c.key for c in spooled] == [c.key for c in columns]
            assert list(again) == rows
