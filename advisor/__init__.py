"""Image-generation cost and hardware advisor."""

__version__ = "0.1.0"
