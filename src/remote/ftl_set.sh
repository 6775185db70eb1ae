# shellcheck disable=SC2154  # inputs
# Verb ftl_set: set one pihole.toml value through `pihole-FTL --config KEY VALUE`, the
# value on stdin (a command line has a size limit of its own); FTL checks it, writes
# pihole.toml and applies it. When FTL refuses it, the backup just kept is removed
# (nothing was replaced).
# Inputs: key, bdir and bname (the backup kept by keep_value).
# Answer: FTL RC HEX (FTL's exit status and what it printed), then on success pihole.toml
# as read_toml answers.
value=$(cat)
out=$(ftl --config "$key" "$value" 2>&1); rc=$?
[ "$rc" = 0 ] || rm -f -- "$bdir/$bname"
echo "FTL $rc $(printf '%s' "$out" | head -c 600 | hex)"
[ "$rc" != 0 ] || tomlout
