#pragma once

#include <memory>
#include <string>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/node/local_node.hpp"
#include "gravity_sync/node/remote_node.hpp"
#include "gravity_sync/ssh/session.hpp"

namespace gs {

// Both nodes of a run, over one SSH session (the remote node refers to `session`).
struct Peers {
  SshSession session;
  LocalNode local;
  RemoteNode remote;
  Peers(SshSession s, const Config& config);
};

// SSH options from the config's remote section.
SshOptions ssh_options(const Config& config);

// Connect to the remote of `config` (exit 3/4 on failure) and build both nodes.
Result<std::unique_ptr<Peers>> connect_peers(const Config& config);

// "host:port": the key of the sync history for this remote, and how it is named to hooks.
std::string remote_key(const Config& config);

}  // namespace gs
