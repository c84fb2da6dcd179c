"""Wishlist: editions a signed-in reader saved for later, with "Move to cart"."""
