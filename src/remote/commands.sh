# Verb commands: which commands are not found there (as `command -v` finds them: on the
# PATH, or the file a name with a '/' names; a regular file this user may execute, never
# a directory).
# Arguments: the commands.
# Answer: M NAME for each one missing.
for c in "$@"; do
  p=$(command -v -- "$c" 2>/dev/null) && [ -f "$p" ] && [ -x "$p" ] || printf 'M %s\n' "$c"
done
