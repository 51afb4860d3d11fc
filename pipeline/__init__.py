"""crebis: the publishing and watch pipeline of a Brussels research centre."""

__version__ = "0.1.0"
