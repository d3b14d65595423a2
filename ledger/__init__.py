"""The write side of `outcomes`: event declarations, validation, the event store, integrity."""
