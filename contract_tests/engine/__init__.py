"""Running the checks: the registry, the budget and its plan, waiting, concurrency, outcomes and reports."""
