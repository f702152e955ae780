"""Valvomo's public surface for plugin developers.

`valvomo.api` is everything a plugin may import from the platform; `valvomo.testing` is the
pytest plugin (fixtures) that the `pytest11` entry point registers. Everything under `core.` is
the platform's own code and may change without notice.
"""
