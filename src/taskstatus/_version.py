"""The version of taskstatus: written once, here; the build reads it too."""

__version__ = "0.2.0"
