#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/node/local_node.hpp"
#include "gravity_sync/node/remote_node.hpp"
#include "gravity_sync/ssh/session.hpp"

namespace gs {

// This node and one peer, over one SSH session (the remote node refers to `session`).
struct Peers {
  SshSession session;
  LocalNode local;
  RemoteNode remote;
  std::string name;  // the peer's name (RemoteConfig::name)
  Peers(SshSession s, const Config& config, const RemoteConfig& peer);
};

// SSH options from one peer's section of the config.
SshOptions ssh_options(const RemoteConfig& peer);

// Connect to `peer` (exit 3/4 on failure) and build both nodes.
Result<std::unique_ptr<Peers>> connect_peers(const Config& config, const RemoteConfig& peer);

// How many peers are reached at once (handshakes, runs). Each is a thread mostly waiting
// on its peer; 16 covers the largest setups users describe in one wave.
inline constexpr size_t kParallelPeers = 16;

// Connect to each of `peers` at once, at most `parallel` handshakes in flight: a peer
// that is down costs its connect_timeout, not the sum of them. One result per peer, in
// the order given.
std::vector<Result<std::unique_ptr<Peers>>> connect_all(const Config& config, const std::vector<RemoteConfig>& peers,
                                                         size_t parallel = kParallelPeers);

// One host key offered by two peers.
struct SharedHostKey {
  std::string first, second;  // the peers' names, in the order given
  std::string fingerprint;    // "SHA256:...", as ssh-keygen -l prints it
};

// The pairs among `offered` (peer name and the fingerprint of the host key it offered; an
// empty fingerprint is a peer not reached) that offered the same key: one node under two
// names (`localhost` and `127.0.0.1`, a name and its address), or Pi-holes cloned from one
// image. Each pair once, in the order given.
std::vector<SharedHostKey> shared_host_keys(const std::vector<std::pair<std::string, std::string>>& offered);

// What a shared host key costs and what to do about it, for a warning.
std::string shared_host_key_warning(const SharedHostKey& shared);

// The name and host key fingerprint of each peer reached in `sessions`.
std::vector<std::pair<std::string, std::string>> host_keys_offered(
    const std::vector<Result<std::unique_ptr<Peers>>>& sessions);

// Logs a warning for each pair of `offered` (as shared_host_keys takes it) with one host
// key; with `warned`, only for the pairs not in it yet ("first\nsecond"), which it records.
void warn_shared_host_keys(const std::vector<std::pair<std::string, std::string>>& offered,
                           std::set<std::string>* warned = nullptr);

// "host:port": the key of the sync history for this peer, and how it is named to hooks.
std::string remote_key(const RemoteConfig& peer);

}  // namespace gs
