"""What the contract promises and how a response is judged: clauses, rules, assertions, violations, evidence."""
