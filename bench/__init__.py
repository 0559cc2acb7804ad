"""Measurements of astca: cold start and AWS round trips, as ratios within one run, medians."""
