"""DataGate: stops a run on schema anomalies or split leakage, before Transform."""
