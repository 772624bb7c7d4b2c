"""The notebook front door: %lab / %%lab magics (and, later, the lab dashboard)."""
