"""DriftGate: stops a run whose new span drifted from the last accepted one, before Transform."""
