# shellcheck disable=SC2154  # inputs
# Verb release: unlink the gravity.db files install replaced, each once no process holds
# it open, waiting up to `tenths` 0.1 s for each.
# Arguments: their paths (each the name install gave the link). Inputs: tenths.
# Answer: KEPT when one is still open (the next run's clean_stale removes it).
held() {  # is "$1" open in any process?
  id=$(stat -c '%d:%i' -- "$1" 2>/dev/null) || return 1
  stat -L -c '%d:%i' /proc/[0-9]*/fd/* 2>/dev/null | grep -qx "$id"
}
closed() { ! held "$1"; }
for p in "$@"; do
  if waitfor "$tenths" closed "$p"; then rm -f -- "$p"; else echo "KEPT"; fi
done
