"""runtime.models."""
