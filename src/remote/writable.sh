# shellcheck disable=SC2154  # inputs
# Verb writable: for check, read-only (nothing is created or changed): whether a sync could
# take gravity-sync's lock there (flock(1) found; the lock file a regular file this user may
# write, or one it could create) and keep backups (each backup directory one bkdir accepts).
# Inputs: l (the lock file's path). Arguments: backup_dir, then each synced item's backup
# directory.
# Exit 65 naming the path when it is a symbolic link or not this user's; 66 when it cannot
# be written or flock is missing.
command -v flock >/dev/null || fail 66 "flock is not installed (gravity-sync's lock needs it; Debian's util-linux has it)"
if [ -L "$l" ]; then fail 65 "the lock $l is a symbolic link"; fi
if [ -e "$l" ]; then
  [ -f "$l" ] || fail 65 "the lock $l is not a regular file"
  [ -w "$l" ] || fail 66 "the lock $l cannot be written by $(id -un)"
else
  near "${l%/*}"
  { [ -d "$D" ] && [ -w "$D" ] && [ -x "$D" ]; } || fail 66 "cannot create the lock $l: $D is not a directory $(id -un) can write"
fi
for b in "$@"; do bkok "$b"; done
