"""Record, replay and the validating proxy: forwarding upstream, cassettes, and the checks on upstream answers."""
