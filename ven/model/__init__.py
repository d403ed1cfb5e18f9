"""The planning model: enrolled EVs, the horizon and the utility's request, the baseline."""
