"""Policy unit tests (`govgate test`): fixtures by shape, the runner, its renderers."""
