#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/node/peers.hpp"
#include "gravity_sync/sync/engine.hpp"

namespace gs {

// One peer's part of a run over several peers.
struct PeerRun {
  std::string name;    // RemoteConfig::name
  std::string remote;  // "host:port" (remote_key), the key of its history
  RunReport report;
};

// A run of one command over every selected peer (CONTRACT.md `remotes:`).
struct PeersReport {
  Command command = Command::compare;
  bool named = false;           // the config says `remotes:`: documents name every peer
  std::vector<PeerRun> peers;   // in the config's order
  ExitCode code = ExitCode::ok;  // the worst peer's (util/error `worse`)
  bool changed = false;         // some item was installed on some node
};

// Run `options.command` with every peer over its session (`sessions[i]` belongs to
// `peers[i]`; a failed connection is that peer's error). Each peer's run is the engine's
// `run_sync` with that peer's own history and pending reloads; one peer failing never
// stops the others. With several peers this node's lock is taken once, and the runs go
// in three steps: (1) every peer at once, pushes only (they only read this node); (2)
// each peer with something for this node, alone, in the config's order; (3) hub: when
// step 2 changed this node, every other peer at once again, pushes only, so a change made
// on any node reaches every node in one run (their history makes it a push, never a pull
// back). compare and a dry run are step 1 alone; `pull` (one peer) is the engine's run.
// Never throws.
PeersReport run_peers(const Config& config, const std::vector<RemoteConfig>& peers,
                      std::vector<Result<std::unique_ptr<Peers>>>& sessions, const RunOptions& options);

// The run as the contract's JSON document: the single-peer document for a `remote:`
// config, else {"in_sync"?, "peers": [{"name", "remote", ...that document}], "error"?}.
Json peers_report_json(const PeersReport& report);

// The run as status's `last_run`: last_run_json for a `remote:` config, else {"time",
// "command", "exit_code", "peers": [{"name", "remote", "exit_code", "items", "error"?}], "error"?}.
Json peers_last_run_json(const PeersReport& report);

// Write last-run.json (state_dir) for `report`. With a `remotes:` config a peer this run
// did not visit (--peer, or one the daemon has not run yet) keeps its entry of the
// previous file, with that run's "time"; the run's exit_code and error are then every
// entry's worst.
Status save_peers_last_run(const Config& config, const PeersReport& report);

// The run for humans: report_text, under a heading per peer when the config names them.
std::string peers_report_text(const PeersReport& report);

// This node's lock for runs with several peers at once (RunOptions::local_lock_held),
// taken through `local` (any peer's LocalNode: they share the state directory), and the
// temp files an interrupted run left removed once it is held.
Result<std::unique_ptr<NodeLock>> lock_for_peers(LocalNode& local, Millis wait);

// `report` with its failure as an error of the run, for a peer that could not be reached.
RunReport unreached(Command command, const Error& error);

}  // namespace gs
