"""The storage authority: the only code that talks to DynamoDB."""
