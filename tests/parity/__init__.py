"""NumPy twin against torch twin, in float64 (package, so that the modules share helpers)."""
