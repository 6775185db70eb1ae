# Verb clock: the node's clock.
# Answer: T SECONDS (since the epoch).
echo "T $(date +%s)"
