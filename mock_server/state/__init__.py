"""Where per-app state lives: in memory, or in files shared by worker processes. No HTTP."""
