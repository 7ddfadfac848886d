"""Data generator and load scenarios for the portal (see benchmarks/README.md)."""
