"""Hidden checks of stage 05_moons (to come)."""
STAGE = "05_moons"
CHECKS = []
