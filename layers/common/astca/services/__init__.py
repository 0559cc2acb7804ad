"""Use cases: each function calls one of these; they hold the business rules and no boto3 call."""
