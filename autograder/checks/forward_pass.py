"""Hidden checks of stage 02_forward_pass (to come)."""
STAGE = "02_forward_pass"
CHECKS = []
