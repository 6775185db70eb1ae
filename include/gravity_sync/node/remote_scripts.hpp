#pragma once

// The remote verbs: POSIX sh files under src/remote/, embedded at build time
// (cmake/embed_scripts.cmake) and checked by shellcheck in the tests. Each file's opening
// comment gives its inputs (shell variables RemoteNode sets, shell-quoted), its arguments,
// its answer lines and its exit codes; docs/REMOTE.md is the protocol. RemoteNode sends
// one verb per command: the prelude (its nonce, the node's paths and commands, the fixed
// SQL), `lib`, then the verb.

#include <string_view>

namespace gs::remote_script {

extern const std::string_view lib;  // the functions every verb may use

extern const std::string_view apply_tables;
extern const std::string_view backups;
extern const std::string_view check_space;
extern const std::string_view clean_stale;
extern const std::string_view clock;
extern const std::string_view commands;
extern const std::string_view discard;
extern const std::string_view dump_tables;
extern const std::string_view ftl_info;
extern const std::string_view ftl_set;
extern const std::string_view ftl_status;
extern const std::string_view inspect;
extern const std::string_view keep_file;
extern const std::string_view keep_value;
extern const std::string_view lock;
extern const std::string_view major_version;
extern const std::string_view pihole;
extern const std::string_view probe;
extern const std::string_view prune;
extern const std::string_view read_text;
extern const std::string_view read_toml;
extern const std::string_view release;
extern const std::string_view restore_copy;
extern const std::string_view snapshot;
extern const std::string_view stat_files;
extern const std::string_view swap;
extern const std::string_view upload;
extern const std::string_view verify;
extern const std::string_view writable;

}  // namespace gs::remote_script
