"""Credence: recognition of states and governments, dated and sourced."""
