"""The console's database: SQLAlchemy 2 models (`models.py`), the engine and request sessions
(`database.py`), Alembic migrations run at start-up (`migrations/`)."""
