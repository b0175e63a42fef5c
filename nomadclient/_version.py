"""The version of nomadclient."""

__version__ = "0.1.0"
