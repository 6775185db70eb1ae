# Verb major_version: Pi-hole's major version there: 6 when pihole.toml exists and
# pihole-FTL is not v5 (`pihole-FTL -v` prints "v5.25.2" on v5), else 5. pihole.toml alone
# does not tell: the pihole user can leave one in /etc/pihole of a v5 node, and taking
# that node for v6 would read its records from that file (an empty value) and push them.
# Answer: MAJOR 6 or MAJOR 5.
if [ -e "$PHD/pihole.toml" ]; then
  case "$(ftl -v 2>/dev/null | head -c 64)" in
    v5.*) echo 'MAJOR 5' ;;
    *) echo 'MAJOR 6' ;;
  esac
else
  echo 'MAJOR 5'
fi
