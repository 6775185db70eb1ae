#include "gravity_sync/node/peers.hpp"

#include <optional>

#include "gravity_sync/util/parallel.hpp"

namespace gs {

Peers::Peers(SshSession s, const Config& config, const RemoteConfig& peer)
    : session(std::move(s)),
      local(config.local, BackupPolicy{config.backup_dir, config.backup_keep}, config.state_dir),
      remote(session, peer.layout, BackupPolicy{peer.backup_dir, config.backup_keep}, config.state_dir + "/tmp",
             RemoteAccess{peer.user, peer.sudo}),
      name(peer.name) {}

SshOptions ssh_options(const RemoteConfig& peer) {
  SshOptions o;
  o.host = peer.host;
  o.port = peer.port;
  o.user = peer.user;
  o.identity_file = peer.identity_file;
  o.known_hosts = peer.known_hosts;
  o.connect_timeout = peer.connect_timeout;
  o.compression = peer.compression;
  return o;
}

Result<std::unique_ptr<Peers>> connect_peers(const Config& config, const RemoteConfig& peer) {
  auto session = SshSession::connect(ssh_options(peer));
  if (!session) return session.error();
  return std::make_unique<Peers>(std::move(*session), config, peer);
}

std::vector<Result<std::unique_ptr<Peers>>> connect_all(const Config& config, const std::vector<RemoteConfig>& peers,
                                                         size_t parallel) {
  std::vector<std::optional<Result<std::unique_ptr<Peers>>>> slots(peers.size());
  parallel_for(peers.size(), parallel, [&](size_t i) { slots[i].emplace(connect_peers(config, peers[i])); });
  std::vector<Result<std::unique_ptr<Peers>>> out;
  for (auto& s : slots) out.push_back(std::move(*s));
  return out;
}

std::string remote_key(const RemoteConfig& peer) { return peer.host + ":" + std::to_string(peer.port); }

}  // namespace gs
