"""runtime.ops."""
