"""runtime.listening."""
