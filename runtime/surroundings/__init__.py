"""runtime.surroundings."""
