"""Promotion codes: staff make them, shoppers enter them at checkout."""
