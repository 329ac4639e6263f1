"""Client authentication (CDS Hooks 2.0 §Trusting CDS Clients)."""
