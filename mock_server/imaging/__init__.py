"""Pure image synthesis: the deterministic renderer and its PNG, palette, caption and edit parts. No HTTP."""
