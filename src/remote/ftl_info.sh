# shellcheck disable=SC2154  # inputs
# Verb ftl_info: what finds pihole-FTL's PID file and signals: on v6 pihole.toml (as
# read_toml answers) and R TEXT (`pihole-FTL sigrtmin`); on v5 C HEX (pihole-FTL.conf).
# Inputs: v6 (1 on Pi-hole v6).
if [ "$v6" = 1 ]; then
  tomlout
  printf 'R %s\n' "$(ftl sigrtmin 2>/dev/null | head -c 16 | oneline)"
else
  # A link or another type is ignored (FTL's defaults); one that cannot be read fails.
  if readhex "$PHD/pihole-FTL.conf" 65536; then printf 'C %s\n' "$HEX"; elif [ $? = 2 ]; then fail 66 "$RERR"; fi
fi
exit 0
