# shellcheck disable=SC2154  # inputs
# Verb discard: remove a private directory an earlier verb kept (after a refusal).
# Inputs: work (its path).
enter "$work"
