"""The assertion task kinds: assertion (fail unless every row passes) and assertion_sensor (wait until they do)."""
