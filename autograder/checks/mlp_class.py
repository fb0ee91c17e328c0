"""Hidden checks of stage 04_mlp_class (to come)."""
STAGE = "04_mlp_class"
CHECKS = []
