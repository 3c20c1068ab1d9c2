"""The terminal dashboard: watch orders run as sagas and operate them from the keyboard."""
