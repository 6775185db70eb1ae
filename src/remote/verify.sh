# shellcheck disable=SC2154  # inputs
# Verb verify: check a copy `f` in the private directory `work` before it is swapped in.
# Inputs: work, f (the copy's name in work), sha (sha256 the copy must have; empty for a
# copy made there), kind (db | text), want (the schema version a database must have; 0:
# any).
# Answer: OK. The directory is kept for keep_file and swap; a failed check removes it.
# Exit 65 when the copy fails a check (checksum, integrity, schema version); 66 when it is
# missing.
enter "$work"
if ! { [ -f "$f" ] && [ ! -L "$f" ]; }; then fail 66 "the copy to install is missing from $work"; fi
if [ -n "$sha" ]; then
  got=$(sha256sum < "$f" | cut -c1-64)
  [ "$got" = "$sha" ] || fail 65 "checksum mismatch: received $got, sent $sha"
fi
if [ "$kind" = db ]; then
  ic=$(sqr "./$f" 'PRAGMA integrity_check;' 2>&1 | head -n 5 | oneline)
  [ "$ic" = "ok" ] || fail 65 "integrity check failed: $ic"
  v=$(sqr "./$f" "$VERSION_SQL" 2>&1 | oneline)
  [ "$want" = 0 ] || [ "$v" = "$want" ] || fail 65 "schema version $v differs from the live database's $want; update Pi-hole on both nodes to the same version first"
fi
keep
echo OK
