"""Users, passwords, login sessions and roles (`roles.py`: `require_role`)."""
