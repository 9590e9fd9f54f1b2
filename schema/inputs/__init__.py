"""`where` inputs, `orderBy` enums and their SQL, one module per domain.

They depend on tables and filters only, never on object types, so every type can take every
other domain's arguments without import cycles.
"""
