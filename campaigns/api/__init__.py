"""The campaigns API: promotion codes on the shopper's (and the staff's) cart."""
