"""The HTTP contract: request and response models shared by the functions (JSON in camelCase)."""
