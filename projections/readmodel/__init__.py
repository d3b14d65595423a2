"""The read model: the folds kept in a SQLite file, and every report answered from facts.

`model.ReadModel` is the file (tracking, catch-up, rebuild, the stored folds); `tables`
declares its tables and writes folds to rows and back; `replay` answers from the events
alone. The names below are what the command line and the Python API use.
"""

from outcomes.projections.readmodel.model import (
    ReadModel,
    check_path,
    compare,
    read_model_path,
    rebuild,
    report_from,
    using,
)

__all__ = ["ReadModel", "check_path", "compare", "read_model_path", "rebuild", "report_from",
           "using"]
