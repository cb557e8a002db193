"""The parcel layer: schema (field dictionary), codes, areas and validation."""
