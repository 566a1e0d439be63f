"""Serial/GPIO link to the panel controller and board firmware (arrives with its own issue)."""
