"""Custom TFX components of the pipeline; each folder holds spec, executor and tests."""
