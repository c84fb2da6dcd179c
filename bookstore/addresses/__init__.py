"""Saved addresses: signed-in shoppers keep their shipping addresses for the next checkout."""
