"""milcoop: an open knowledge graph of state military cooperation."""

__version__ = "0.1.0"
