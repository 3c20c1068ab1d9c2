"""The scenario library: TOML files that ship with ordersaga as package data, so an installed
ordersaga finds them by name (`ordersaga run demo`) from any folder."""
