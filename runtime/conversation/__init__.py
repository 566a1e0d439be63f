"""runtime.conversation."""
