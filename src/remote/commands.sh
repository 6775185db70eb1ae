# Verb commands: which commands are not found there (as `command -v` finds them: on the
# PATH, or the file a name with a '/' names).
# Arguments: the commands.
# Answer: M NAME for each one missing.
for c in "$@"; do
  command -v -- "$c" >/dev/null 2>&1 || printf 'M %s\n' "$c"
done
