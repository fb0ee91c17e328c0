"""A corpus of hostile and broken submissions, built from the solution
notebooks so that it follows them, and helpers to prove that grading
them left nothing behind."""
