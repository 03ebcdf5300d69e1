"""Stubs: fixed answers (a user's picture, an error, a fault) for the requests that match."""
