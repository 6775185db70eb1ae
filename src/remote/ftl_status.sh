# Verb ftl_status: whether pihole-FTL runs and catches the reload signals.
# Arguments: what pihole-FTL runs for it (ftl_status_args: pihole/ftl_status.hpp).
# Answer: that program's output, as pihole/ftl_status.hpp parses it.
ftl "$@" 2>&1
