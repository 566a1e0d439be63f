"""runtime.composition."""
