"""The services a saga coordinates, one actor each, each the only owner of its state."""
