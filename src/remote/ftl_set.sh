# shellcheck disable=SC2154  # inputs
# Verb ftl_set: set one pihole.toml value through `pihole-FTL --config KEY VALUE`, the
# value on stdin (a command line has a size limit of its own); FTL checks it, writes
# pihole.toml and applies it.
# Inputs: key.
# Answer: FTL RC HEX (FTL's exit status and what it printed).
value=$(cat)
out=$(ftl --config "$key" "$value" 2>&1); rc=$?
echo "FTL $rc $(printf '%s' "$out" | head -c 600 | hex)"
