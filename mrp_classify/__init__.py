"""mrp-classify: digitalisation goals in Swedish municipalities' mål- och resursplaner."""

__version__ = "0.1.0"
