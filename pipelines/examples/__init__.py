"""Bundled examples: data export, feature definitions, preprocessing and model code."""
