"""The records, types and typed errors every layer shares; it imports nothing else of astca but the clock."""
