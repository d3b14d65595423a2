"""`python -m outcomes`: the command line."""

from outcomes.cli import main

main()
