# shellcheck disable=SC2154  # inputs
# Verb snapshot: a consistent copy of a gravity.db there (SQLite's online backup), sent as
# the answer's payload and hashed there while it is sent.
# Inputs: live (its path), dir (its directory), work (a new private directory's path,
# beside it), need (KiB the snapshot needs).
# Answer: the payload (DATA), then SHA DIGEST (sha256 of the payload).
# Exit 65 when live is not a regular file or there is no room; 66 when the snapshot failed.
regular "$live"
private "$work"
room . "$need" || fail 65 "not enough disk space in $dir for a snapshot: $FREE KiB free, $need KiB needed"
err=$(sq "$live" ".backup './snap'" 2>&1 >/dev/null)
[ -s snap ] || fail 66 "snapshot of $live failed: $(printf '%s' "$err" | oneline)"
# The copy keeps the live file's header, WAL mode included; what the other node receives
# is in Pi-hole's own rollback-journal mode (as the local snapshot, src/sqlite/gravity.cpp).
err=$(sq ./snap 'PRAGMA journal_mode = DELETE;' 2>&1 >/dev/null) ||
  fail 66 "cannot set the snapshot of $live to journal_mode DELETE: $(printf '%s' "$err" | oneline)"
if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r < snap > sha & else sha256sum < snap > sha & fi
data snap
wait
echo "SHA $(cut -c1-64 sha)"
