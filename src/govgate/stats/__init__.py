"""Statistics for the gate: bounds, paired comparisons, fairness. numpy/scipy, no I/O."""
