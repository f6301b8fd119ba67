"""Benchmarks and the synthetic data they (and some tests) load. Run the scripts as modules."""
