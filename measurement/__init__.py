"""Measurement geometry, the RECIST 1.1 engine, the lesion table model and tools.

Nothing in this package reads or writes files on disk.
"""
