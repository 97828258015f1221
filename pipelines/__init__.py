"""TFX pipeline definition, its runners, and the bundled examples."""
