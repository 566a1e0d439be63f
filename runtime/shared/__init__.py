"""runtime.shared."""
