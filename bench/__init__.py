"""Benchmarks and scoring against the synthetic generator's ground truth (`reconcile bench`,
`make bench`, the tests). Not part of a reconciliation run: the application never imports it."""
