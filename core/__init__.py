"""Valvomo core: identity, customers, audit, tasks, billing periods and the web shell."""
