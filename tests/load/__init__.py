"""Load test: `make load` (`python -m tests.load.run`). A measurement, like tests/bench/, not part of `make test`."""
