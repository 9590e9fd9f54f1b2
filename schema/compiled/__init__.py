"""Compiled reads: a query operation as one SQL statement per root field.

`executor.CompiledReads` is what the HTTP view calls; `planner` turns a validated operation into
SQL using `mapping` (how each GraphQL type reads from its table), `filters` (the `where` inputs)
and `sql` (text building blocks). The resolver path in `schema/types` stays the reference: the
differential tests in `tests/schema/compiled` hold the two to the same answers.
"""
