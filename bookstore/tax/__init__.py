"""Sales tax: the rates staff set for the places the shop ships to, and what an order owes."""
