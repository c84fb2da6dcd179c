"""Trust pages (shipping, returns, privacy, terms) that staff edit, and the contact form."""
