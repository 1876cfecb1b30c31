"""Measurements that are not part of `make bench`: run each alone with `python -m`."""
