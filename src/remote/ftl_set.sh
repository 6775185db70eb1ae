# Verb ftl_set: set pihole.toml values through `pihole-FTL --config KEY VALUE` (in the C
# locale: ftlset), one right after the other, so FTL takes them in one restart at most
# (node.hpp, commit_values). The keys are the arguments; the values come on stdin, one a
# line, in the same order (a value never holds a newline: the caller refuses one). FTL
# checks each value, writes pihole.toml and applies it.
# Answer: FTL RC HEX for each key, in order (FTL's exit status and what it printed);
# FTL 99 - for a key whose value did not come.
for key in "$@"; do
  if ! IFS= read -r value; then
    echo "FTL 99 -"
    continue
  fi
  out=$(ftlset "$key" "$value" 2>&1); rc=$?
  echo "FTL $rc $(printf '%s' "$out" | head -c 600 | hex)"
done
