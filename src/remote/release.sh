# shellcheck disable=SC2154  # inputs
# Verb release: drop the gravity.db files install replaced, each once no process holds it
# open, waiting up to `tenths` 0.1 s for each. Each lies as `old` in a private directory
# install kept; the directory goes with it.
# Arguments: those directories. Inputs: tenths.
# Answer: KEPT when one is still open (the next run's clean_stale removes it).
held() {  # is "$1" open in any process? (find batches the arguments: any number of fds)
  id=$(stat -c '%d:%i' -- "$1" 2>/dev/null) || return 1
  find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 -exec stat -L -c '%d:%i' {} + 2>/dev/null | grep -qx "$id"
}
closed() { ! held "$1"; }
for d in "$@"; do
  # In a subshell of its own, through its working directory: a directory that is no
  # longer ours (the pihole user renamed it and put another in its place) is left alone.
  (
    cd -P -- "$d" 2>/dev/null || exit 0
    if ! { ours . && same .. "${d%/*}" && [ -f .id ] && [ "$(cat .id)" = "${d##*/}" ]; }; then exit 0; fi
    if waitfor "$tenths" closed old; then
      find . -mindepth 1 -delete 2>/dev/null
      cd / && rmdir -- "$d" 2>/dev/null
    else
      echo "KEPT"
    fi
  )
done
