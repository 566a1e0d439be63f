"""Avatar animation state: pure code stepped by dt, deterministic under a seed."""
