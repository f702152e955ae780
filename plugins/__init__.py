"""Valvomo's built-in service plugins. Each is an ordinary plugin registered by entry point."""
