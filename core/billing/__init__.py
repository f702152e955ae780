"""Billing periods, collecting plugins' billing lines, the biller's view, exports and closing."""
