"""The harness: runs the suites bench/suites/__init__.py lists and writes their report.

A suite is a module or package under bench/suites/ with:

- `STAGE`: when it runs. "app": in this process, against the stack's DynamoDB Local (the
  instrumented app is `context.app`); "server": against the stack's gunicorn behind its URL;
  "services": after that gunicorn has stopped, on the same DynamoDB Local and S3; "alone":
  after the stack is down.
- `run(context) -> dict`: its figures, merged into the results under keys of its own.
- optional `rows(results)` (summary rows), `method(results)` (how its figures are measured),
  `preface(results)` (text before the method), `sections(results)` (its part of the report),
  `WHY` (row name part -> why that target was missed) and `options(parser)` (its flags).
"""
