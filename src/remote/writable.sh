# shellcheck disable=SC2154  # inputs
# Verb writable: for check, read-only (nothing is created or changed): whether a sync could
# take gravity-sync's lock there (flock(1) found; the lock file a regular file this user may
# write, or one it could create), keep backups (each backup directory one bkdir accepts)
# and replace the items (each of their files and directories writable, when it exists).
# Inputs: l (the lock file's path). Arguments, in pairs: b DIR (a backup directory),
# w PATH (an item's file or its directory).
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
while [ $# -ge 2 ]; do
  case $1 in
    b) bkok "$2" ;;
    w)
      if [ -d "$2" ]; then
        { [ -w "$2" ] && [ -x "$2" ]; } || fail 66 "$(id -un) cannot write in $2"
      elif [ -e "$2" ]; then
        [ -w "$2" ] || fail 66 "$(id -un) cannot write $2"
      fi
      ;;
  esac
  shift 2
done
