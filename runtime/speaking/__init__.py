"""runtime.speaking."""
