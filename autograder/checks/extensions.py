"""Hidden checks of stage 06_extensions (to come)."""
STAGE = "06_extensions"
CHECKS = []
