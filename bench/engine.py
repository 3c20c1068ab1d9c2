"""The engine as every benchmark imports it: the one line to change if its import paths move."""

from actors import Engine, EngineSettings, create_database

__all__ = ["Engine", "EngineSettings", "create_database"]
