"""The GraphQL surface of Credence: Strawberry types, loaders, pagination, the Query root."""
