"""A sample possdk plugin package."""
