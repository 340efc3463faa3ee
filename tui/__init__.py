"""hats: wear many AWS hats from one terminal."""

__version__ = "0.1.0"
