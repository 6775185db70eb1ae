# shellcheck disable=SC2154  # inputs
# Verb dump_tables: the configuration rows of a gravity.db as data (tables mode, pulling),
# read with fixed SQL, read-only, in one transaction.
# Inputs: live (its path), work (a new private directory's path beside it), DUMP (the SQL
# for its schema: sqlite/tables.hpp).
# Answer: the payload (DATA): the rows as table_dump_sql prints them.
regular "$live"
private "$work"
recover "$live"
err=$(sqr "$live" 'BEGIN;' "$DUMP" 'COMMIT;' 2>&1 > dump) || fail 66 "$(printf '%s' "$err" | oneline)"
data dump
