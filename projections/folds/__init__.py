"""Pure folds: events in, figures out (Decimal, dates, counts); no I/O, no display text."""
