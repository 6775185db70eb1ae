#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/node/node.hpp"
#include "gravity_sync/sync/plan.hpp"
#include "gravity_sync/sync/state.hpp"
#include "gravity_sync/util/json.hpp"

namespace gs {

enum class Command { compare, sync, pull, push };

// The contract's name of `command`.
const char* command_name(Command command);

// What one run is asked to do.
struct RunOptions {
  Command command = Command::compare;
  std::vector<Item> items;  // in report order
  bool dry_run = false;
  bool force = false;
  Millis lock_wait{60'000};
  Millis ftl_wait = kFtlReadyWait;  // how long a reload waits for that node's FTL to be ready
  // Several peers at once (sync/peer_runs, the daemon): the caller holds this node's lock
  // (and has cleaned its stale files), so the run takes neither.
  bool local_lock_held = false;
  // Nothing is installed on this node: an item this peer would pull, and a reload this
  // node owes, are left (RunReport::deferred) for a run of this peer alone. Runs with
  // other peers can then go at the same time: they only read this node.
  bool pushes_only = false;
};

// What became of one item in a run.
enum class Outcome {
  ok,        // in sync, or moved
  skipped,   // not moved: compare, a dry run, or nothing to do yet
  conflict,  // compare: a conflict the policy leaves unresolved
  failed,    // refused or failed: ItemReport::code says which
};

// What happened to one item.
struct ItemReport {
  Item item = Item::gravity;
  ItemState local;
  ItemState remote;
  Planned plan;
  Outcome outcome = Outcome::skipped;
  ExitCode code = ExitCode::ok;
  std::string message;
  std::optional<std::string> backup;
  uint64_t bytes = 0;
  bool rebuild = false;  // tables mode: gravity was rebuilt there because the adlists changed
};

// What a whole run did. `error` is set when the run stopped before the items.
struct RunReport {
  Command command = Command::compare;
  std::vector<ItemReport> items;
  ExitCode code = ExitCode::ok;
  std::optional<Error> error;
  bool changed = false;  // some item was installed on some node
  int64_t time = 0;
  int local_major = 0;   // Pi-hole's major version on each node (0 when the run stopped early)
  int remote_major = 0;
  TextForm form = TextForm::bytes;  // how text items were compared
  std::vector<std::string> owed;    // each reload still pending at the end, in words
  bool deferred = false;  // pushes_only: something was left for a run of this peer alone
};

// What compare reports of an item planned `p`: an unresolved conflict and a move are
// differences (exit 1), a refusal is its own code, nothing to do is ok.
std::pair<Outcome, ExitCode> compare_result(const Planned& p);

// What a dry run reports of an item planned `p`, before the receiver's check of it: a
// refusal (an unresolved conflict: exit 6) is its own code, a move is skipped (would be
// done), nothing to do is ok; the real run's exit code (CONTRACT.md).
std::pair<Outcome, ExitCode> dry_run_result(const Planned& p);

// Whether `report`'s run changed this node: a pull that went in.
bool pulled_here(const RunReport& report);

// `again` (a later run of the same peer) with what `first` moved: an item `again` found
// in sync keeps `first`'s entry where `first` moved it.
RunReport merge_runs(const RunReport& first, RunReport again);

// Run `options.command` between `local` and `remote`, reading and recording the sync
// history in `state`. Never throws; failures are in the report.
RunReport run_sync(const Config& config, Node& local, Node& remote, StateStore& state, const RunOptions& options);

// The contract's `result` of `r`: ok | skipped | conflict, or when it failed the reason of
// its exit code (exit_code_reason: "refused", "failure", ...).
std::string result_name(const ItemReport& r);

// The report as the contract's JSON document.
Json report_json(const RunReport& report);

// The report as status's `last_run` (time, command, exit_code, items, error).
Json last_run_json(const RunReport& report);

// The report for humans, one line an item.
std::string report_text(const RunReport& report);

}  // namespace gs
