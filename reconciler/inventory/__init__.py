"""The IT inventory: each source kind into canonical Assets."""
