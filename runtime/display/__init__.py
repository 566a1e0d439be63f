"""runtime.display."""
