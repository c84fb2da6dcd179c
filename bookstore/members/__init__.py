"""Members: annual memberships, bought in the store or granted by staff."""
