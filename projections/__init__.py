"""The read side of `outcomes`, in three parts.

- `folds/`: pure folds, events in, figures out (`Decimal`, dates, counts); no I/O, no text.
- `readmodel/`: the SQLite side: the fact log (each event filed once, by one router), the
  folds kept in tables, tracking and catch-up, and every report answered from facts, the
  read model's own or a temporary log of the events alone.
- `present/`: presentation: the report documents (JSON), tables, CSV and Markdown, the
  demo's story, the IATI export.
"""
