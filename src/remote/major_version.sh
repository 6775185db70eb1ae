# Verb major_version: Pi-hole's major version there.
# Answer: MAJOR 6 (pihole.toml exists) or MAJOR 5.
if [ -e "$PHD/pihole.toml" ]; then echo 'MAJOR 6'; else echo 'MAJOR 5'; fi
