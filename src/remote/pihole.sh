# Verb pihole: run `pihole ARGS...` there.
# Arguments: those of pihole. Answer: P LINE for each of the last three lines it printed.
# Exit: pihole's.
out=$(ph "$@" 2>&1); rc=$?
printf '%s\n' "$out" | tail -n 3 | sed 's/^/P /'
exit "$rc"
