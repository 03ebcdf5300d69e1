"""eigen-mock contract suite."""
