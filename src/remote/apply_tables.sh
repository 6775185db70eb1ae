# shellcheck disable=SC2154  # inputs
# Verb apply_tables: tables mode, receiving. Check the uploaded tables file `up`, apply it
# to a snapshot `new` of the live gravity.db in one transaction with fixed SQL for its
# schema, and check the result has the sender's digest. The directory is kept for install.
# Inputs: work (the upload's private directory), live (gravity.db), sha (sha256 of up as
# sent), dg (the sender's configuration digest), D (the digest's SQL), APPLY (the SQL that
# replaces the configuration tables from the attached x), KEY (the adlists' key SQL).
# Answer: CHANGED 0|1 (whether the adlists changed: gravity must then be rebuilt).
# Exit 65 for a bad upload or a digest that differs; 66 when the snapshot failed.
enter "$work"
got=$(sha256sum < up | cut -c1-64)
[ "$got" = "$sha" ] || fail 65 "checksum mismatch: received $got, sent $sha"
ic=$(sqr "./up" 'PRAGMA integrity_check;' 2>&1 | head -n 5 | oneline)
[ "$ic" = "ok" ] || fail 65 "integrity check of the received tables failed: $ic"
regular "$live"
recover "$live"
err=$(sq "$live" ".backup './new'" 2>&1 >/dev/null)
[ -s new ] || fail 66 "snapshot of $live failed: $(printf '%s' "$err" | oneline)"
res=$({ printf "PRAGMA foreign_keys = OFF;\nATTACH '%s' AS x;\nBEGIN IMMEDIATE;\n%s\n%s%s\nCOMMIT;\n" \
          "./up" "$KEY" "$APPLY" "$KEY"; } | sq "./new" 2>&1) \
  || fail 65 "cannot apply the received configuration tables: $(printf '%s' "$res" | tail -n 1 | oneline)"
before=$(printf '%s\n' "$res" | head -n 1)
after=$(printf '%s\n' "$res" | tail -n 1)
d=$(sqr "./new" 'BEGIN;' "$D" 'COMMIT;' | sha256sum | cut -c1-64)
[ "$d" = "$dg" ] || fail 65 "after applying the received tables the configuration digest is $d, not the sender's $dg"
rm -f up
if [ "$before" = "$after" ]; then echo "CHANGED 0"; else echo "CHANGED 1"; fi
keep
