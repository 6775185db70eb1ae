#include "gravity_sync/node/peers.hpp"

#include <optional>

#include <spdlog/spdlog.h>

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

std::vector<SharedHostKey> shared_host_keys(const std::vector<std::pair<std::string, std::string>>& offered) {
  std::vector<SharedHostKey> out;
  for (size_t i = 0; i < offered.size(); ++i) {
    if (offered[i].second.empty()) continue;
    for (size_t j = i + 1; j < offered.size(); ++j) {
      if (offered[j].second == offered[i].second) out.push_back({offered[i].first, offered[j].first, offered[i].second});
    }
  }
  return out;
}

std::string shared_host_key_warning(const SharedHostKey& shared) {
  return "peers " + shared.first + " and " + shared.second + " offered the same host key (" + shared.fingerprint +
         "): if they are one node under two names, list it once (each name keeps its own history, so every change "
         "goes there twice and the two can conflict); if they are Pi-holes cloned from one image, give each its own "
         "host keys (on each: rm /etc/ssh/ssh_host_*; ssh-keygen -A), then update known_hosts";
}

std::vector<std::pair<std::string, std::string>> host_keys_offered(
    const std::vector<Result<std::unique_ptr<Peers>>>& sessions) {
  std::vector<std::pair<std::string, std::string>> offered;
  for (const auto& s : sessions) {
    if (s) offered.emplace_back((*s)->name, (*s)->session.host_key_fingerprint());
  }
  return offered;
}

void warn_shared_host_keys(const std::vector<std::pair<std::string, std::string>>& offered,
                           std::set<std::string>* warned) {
  for (const auto& shared : shared_host_keys(offered)) {
    if (warned && !warned->insert(shared.first + '\n' + shared.second).second) continue;
    spdlog::warn("{}", shared_host_key_warning(shared));
  }
}

std::string remote_key(const RemoteConfig& peer) { return peer.host + ":" + std::to_string(peer.port); }

}  // namespace gs
