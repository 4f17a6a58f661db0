"""The gate: policies x evidence -> a decision."""
