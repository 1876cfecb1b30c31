"""What AWS bills for DynamoDB calls: its rules, the items a call touches, a meter on a client."""
