"""`tinyml ui`: the runs root served to a browser on 127.0.0.1, read-only."""
