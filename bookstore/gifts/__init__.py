"""Gifts: gift options at checkout (message, wrap, gift receipt) and gift memberships."""
