"""The traffic with the target: requests built and encoded, sent through one budgeted session, logged."""
