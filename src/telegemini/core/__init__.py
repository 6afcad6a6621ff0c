"""Use cases and domain types; imports no SDK, driver or adapter."""
