"""Running the server for the CLI: the launcher, worker processes on one port, logging set-up."""
