"""scomm: a data warehouse of Secure Communities enforcement statistics (Dagster code location)."""
