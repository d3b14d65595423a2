"""The read side of `outcomes`: pure folds of events into rows, and their rendering."""
