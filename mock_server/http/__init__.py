"""The public API on the wire: the generate endpoint, body parsing, responses, auth, request context."""
