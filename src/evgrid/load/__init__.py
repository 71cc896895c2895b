"""Base-load curves: typical shapes scaled to a site, measured curves."""
