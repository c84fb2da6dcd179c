"""Shipping abroad: what a parcel to another country costs, as staff set it per country (the
shop's own country keeps the SHIPPING_* settings)."""
