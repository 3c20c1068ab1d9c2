"""The main screen's parts, each owning one concern; screens/main.py composes and wires them."""
