# Verb read_toml: pihole.toml as it is.
# Answer: TOML MTIME HEX | TOML - (none there) | TOMLERR MESSAGE.
tomlout
