"""Side-by-side benchmarks: possdk against a hand-written floor in the same run."""
