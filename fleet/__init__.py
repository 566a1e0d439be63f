"""Fleet device agent and admin tools over MQTT (arrives with its own issue)."""
