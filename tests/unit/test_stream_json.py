"""A streamed report's JSON is the text `to_json` writes for the same document."""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from outcomes.projections.present.render import to_json
from outcomes.projections.present.stream import write_json

# text with what json_inert escapes (DEL, C1, separators, format characters) and what
# JSON escapes itself
TEXT = st.text(alphabet=st.sampled_from("ab é\"\\\n\x00\x1b\x7f\x85\u2028\u200b\ufeff"),
               max_size=8)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), TEXT,
                   st.decimals(allow_nan=False, allow_infinity=False, places=2))
RECORD = st.dictionaries(TEXT, st.one_of(SCALAR, st.lists(SCALAR, max_size=3)), max_size=4)
DOC = st.dictionaries(TEXT, st.one_of(SCALAR, st.lists(RECORD, max_size=5)), max_size=4)


def streamed(doc: dict, *, lazy: bool) -> str:
    out = io.StringIO()
    write_json({k: iter(v) if lazy and isinstance(v, list) else v for k, v in doc.items()},
               out)
    return out.getvalue()


@given(DOC)
def test_the_streamed_text_is_to_json_s(doc: dict) -> None:
    assert streamed(doc, lazy=False) == to_json(doc)
    assert streamed(doc, lazy=True) == to_json(doc)


def test_a_report_document() -> None:
    doc = {"as_of": "2024-12-31", "known_at": None,
           "targets": [{"venture": "v\u2028", "series": [{"expected": Decimal("1.50")}]}] * 3,
           "empty": []}
    assert streamed(doc, lazy=True) == to_json(doc)
    assert streamed({}, lazy=True) == to_json({}) == "{}\n"


def test_records_are_written_in_pieces_as_they_come() -> None:
    """The iterator is read while the text is written, not first into a list."""
    out = io.StringIO()
    seen = []

    def records():
        for n in range(2500):
            seen.append(len(out.getvalue()))
            yield {"n": n}

    write_json({"rows": records()}, out)
    assert seen[-1] > 0  # the first thousands were written before the last was made
    assert out.getvalue() == to_json({"rows": [{"n": n} for n in range(2500)]})


@given(st.lists(RECORD, max_size=6), st.integers(min_value=1, max_value=3))
def test_a_streamed_list_and_csv_are_the_whole_text(records: list, chunk: int) -> None:
    """`log -O json|csv|markdown` write as they read: the same text as written whole."""
    from outcomes.projections.present import stream
    from outcomes.projections.present.render import (
        Column,
        csv_pieces,
        markdown_lines,
        to_csv,
        to_markdown,
    )

    old, stream.CHUNK = stream.CHUNK, chunk  # several pieces even for a few records
    try:
        assert "".join(stream.json_list_pieces(iter(records))) == to_json(records)
    finally:
        stream.CHUNK = old
    columns = [Column(k, k) for k in sorted({k for r in records for k in r})]
    assert "".join(csv_pieces(columns, iter(records), chunk=chunk)) == to_csv(columns, records)
    assert "".join(markdown_lines(columns, iter(records))) == to_markdown(columns, records)
