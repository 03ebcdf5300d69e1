"""Generated requests: Schemathesis against the spec, Hypothesis strategies, repairs, reviewed false positives."""
