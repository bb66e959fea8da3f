"""Ketaflow's clinical arithmetic: pure Python, NumPy and SciPy, never Django.

An import-linter contract (pyproject.toml) keeps it that way.
"""
