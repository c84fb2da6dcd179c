"""Inventory: copies held for checkouts, the stock ledger, and how many copies are free to sell.

- ``holds``: a checkout holds copies (``stock_holds`` rows, counted in ``editions.reserved``)
  until its time is up; a hold is sold or given back exactly once.
- ``ledger``: deliveries, counts, returns and corrections, each a row in ``stock_movements``.
- ``availability``: "copies free to sell" -- one definition (``on_hand - reserved``, plus the
  copies of holds whose time is up) for the catalog, the cart, checkout and staff screens.

The package knows editions and holds, never orders: checkout names a hold by its order id.
"""
