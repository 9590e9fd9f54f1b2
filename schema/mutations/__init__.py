"""The GraphQL mutations (see schema.mutations.root)."""
