"""pytest plugin of the contract suite (placeholder until the suite lands)."""
