"""runtime.board."""
