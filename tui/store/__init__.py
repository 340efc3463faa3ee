"""Where hats keeps secrets: the items, the Vault over them, and the keyrings that hold them."""
