"""Hidden checks of stage 03_backprop (to come)."""
STAGE = "03_backprop"
CHECKS = []
