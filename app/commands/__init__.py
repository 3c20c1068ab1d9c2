"""The commands of `ordersaga`, grouped by what they do; app/cli.py reads their arguments."""
