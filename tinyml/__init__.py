"""The open TinyML pipeline: library code shared by the CLI, the pipeline and its components."""
