"""Running the kiosk as a systemd service: the unit, sd_notify readiness and watchdog, staff status."""
