"""The local stack for `make run`, the tests and the benchmarks: real DynamoDB Local and a
local S3, started on loopback and stopped by whoever started them."""
