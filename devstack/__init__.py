"""The local stack: the production shape on loopback (stack.py: DynamoDB Local, moto's S3,
redis-server, the Procfile's processes behind the platform's nginx, a load balancer) for
`make run`, the tests and the benchmarks, started and stopped by whoever starts it."""
