"""The feasibility layer shared by every policy: safe power ranges, trajectories, and the verifier."""
