"""Live updates: a change feed (`feed.py`, pure) and its server-sent-events stream (`sse.py`)."""
