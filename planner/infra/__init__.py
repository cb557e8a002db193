"""Infrastructure networks of a park: line layers and source points."""
