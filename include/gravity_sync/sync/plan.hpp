#pragma once

#include <optional>
#include <string>

#include "gravity_sync/config/config.hpp"
#include "gravity_sync/node/node.hpp"

namespace gs {

// What a run does with one item.
enum class Action { none, pull, push, conflict };

// The contract's name of `action` ("pull").
const char* action_name(Action action);

// Both sides' digests after the last successful sync of an item with one remote.
struct History {
  std::string local;
  std::string remote;
};

// Everything that decides an item's action.
struct PlanInput {
  Item item = Item::gravity;
  ItemState local;
  ItemState remote;
  std::optional<History> history;
  SyncMode mode = SyncMode::sync;
  ConflictPolicy policy = ConflictPolicy::remote;
  bool force = false;
};

// The decision for one item.
struct Planned {
  Action action = Action::none;
  bool conflict = false;              // the conflict policy decided the action
  ExitCode refusal = ExitCode::ok;    // non-ok: the item must not move (reason says why)
  std::string reason;                 // a human explanation of the decision
};

// Decide what to do with one item (CONTRACT.md "When two sides are in sync"). Pure.
Planned plan_item(const PlanInput& in);

}  // namespace gs
