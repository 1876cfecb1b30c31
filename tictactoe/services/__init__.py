"""Use cases: what a player or operator can do. No Flask, no botocore."""
