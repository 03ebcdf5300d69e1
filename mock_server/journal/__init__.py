"""The request journal: one ``Call`` per request to the public API, what it keeps, and the middleware that writes it."""
