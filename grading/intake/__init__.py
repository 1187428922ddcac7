"""Intake: everything that decides whether a submission may be graded, before any cluster is touched.

Parsing (with limits, in a child process), schema and field validation against the Kubernetes
version the course teaches, the sandbox policy and Pod Security. Pure Python: nothing here knows
Django models or the cluster (an import-linter contract in pyproject.toml keeps it so).
"""
