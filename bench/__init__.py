"""Parley benchmark suite: load generator, seed-style baseline, bare relay, harness."""
