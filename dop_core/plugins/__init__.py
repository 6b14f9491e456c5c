"""Loading plugins: the pluggy manager, entry points, isolation of broken plugins."""
