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
// What a node's gravity.db says of the node as a whole.
enum class Freshness {
  configured,  // it holds configuration of its own
  fresh,       // nothing beyond a fresh Pi-hole install, or no gravity.db at all
  unknown,     // it cannot be read (locked, damaged, an unknown schema): no telling
};

struct PlanInput {
  Item item = Item::gravity;
  ItemState local;
  ItemState remote;
  std::optional<History> history;
  SyncMode mode = SyncMode::sync;
  ConflictPolicy policy = ConflictPolicy::remote;
  bool force = false;
  // Whether each node is a fresh node (CONTRACT.md "Missing, empty, fresh"). A fresh
  // node's empty text item or v6 value never replaces records the other node holds, unless
  // `force`; nor does one of a node that cannot tell.
  Freshness local_fresh = Freshness::configured;
  Freshness remote_fresh = Freshness::configured;
};


// The decision for one item.
struct Planned {
  Action action = Action::none;
  bool conflict = false;              // the conflict policy decided the action
  ExitCode refusal = ExitCode::ok;    // non-ok: the item must not move (reason says why)
  bool skip = false;                  // not synced, and not a failure (reason says why): a v6
                                      // value an FTLCONF_ variable sets on a node, settings
                                      // with a v5 node
  std::string reason;                 // a human explanation of the decision
};

// Whether `in`, planned as `planned`, is a move in which whether the sender is a fresh
// node matters: a text item or v6 value with no records sent to a node that holds some,
// and a settings value at FTL's default sent to a node that holds one (a fresh node's
// settings are FTL's defaults, no admin's choice).
bool sender_freshness_matters(const PlanInput& in, const Planned& planned);

// Decide what to do with one item (CONTRACT.md "When two sides are in sync"). Pure.
Planned plan_item(const PlanInput& in);

}  // namespace gs
