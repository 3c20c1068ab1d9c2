"""The engine as every benchmark imports it: the one line to change if its import paths move."""

from actors import Engine, EngineSettings, create_database
from app import collector

# Tuned as the `ordersaga` command tunes its process, so a benchmark measures what a person runs.
collector.tune()

__all__ = ["Engine", "EngineSettings", "create_database"]
