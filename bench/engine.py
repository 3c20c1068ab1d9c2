"""The engine as every benchmark imports it: the one line to change if its import paths move."""

from actors import Engine, EngineSettings, create_database
from app import collector

# Tuned as an ordersaga process that keeps running (the dashboard, a worker) is: the engine's
# figures are those of a process that collects.
collector.keep_running()

__all__ = ["Engine", "EngineSettings", "create_database"]
