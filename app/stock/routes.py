"""Staff stock pages."""
