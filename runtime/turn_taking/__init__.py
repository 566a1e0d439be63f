"""runtime.turn_taking."""
