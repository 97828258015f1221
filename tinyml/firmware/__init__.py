"""Host-side firmware tooling: code generation, builds, emulation, packaging."""
