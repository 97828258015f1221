"""Checks on the input data: before the pipeline starts, and on its splits."""
