"""Developer instruments (not installed with the kit): ``mutation`` tests the checks."""
