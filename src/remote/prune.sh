# Verb prune: remove backups.
# Arguments: their paths (each built by the caller from a backup's id, never one the
# remote listed).
for p in "$@"; do rm -f -- "$p"; done
