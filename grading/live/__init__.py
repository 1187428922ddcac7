"""Live grading: the cluster adapter, the per-submission sandbox, grading in it, the live checks,
diagnostics and the reaper. Talks to Kubernetes; knows nothing of views, forms or the admin (an
import-linter contract in pyproject.toml keeps it so).
"""
