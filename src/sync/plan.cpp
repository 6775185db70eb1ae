#include "gravity_sync/sync/plan.hpp"

namespace gs {

const char* action_name(Action action) {
  switch (action) {
    case Action::none:
      return "none";
    case Action::pull:
      return "pull";
    case Action::push:
      return "push";
    case Action::conflict:
      return "conflict";
  }
  return "none";
}

namespace {

Planned by_policy(const PlanInput& in, const std::string& why) {
  Planned p;
  p.conflict = true;
  switch (in.policy) {
    case ConflictPolicy::remote:
      p.action = Action::pull;
      p.reason = why + "; policy remote: pull";
      break;
    case ConflictPolicy::local:
      p.action = Action::push;
      p.reason = why + "; policy local: push";
      break;
    case ConflictPolicy::newer: {
      // The time each side last changed (a file's mtime; pihole.toml's for a v6 value).
      // Without both, or when they are the same second, there is no newer side.
      const auto& l = in.local.changed_at;
      const auto& r = in.remote.changed_at;
      if (!l || !r || *l == *r) {
        p.action = Action::conflict;
        p.refusal = ExitCode::conflict;
        p.reason = why + "; policy newer: " +
                   (!l || !r ? std::string("the time of the last change is not known ") + (!l && !r ? "on either node"
                                                                                           : !l ? "on the local node"
                                                                                                : "on the remote node")
                             : std::string("both changed in the same second")) +
                   ", so neither is newer: left unresolved";
        break;
      }
      p.action = *l > *r ? Action::push : Action::pull;
      p.reason = why + "; policy newer: the " + std::string(*l > *r ? "local" : "remote") + " copy is newer";
      break;
    }
    case ConflictPolicy::skip:
      p.action = Action::conflict;
      p.refusal = ExitCode::conflict;
      p.reason = why + "; policy skip: left unresolved";
      break;
  }
  return p;
}

Planned decide(const PlanInput& in) {
  const ItemState& l = in.local;
  const ItemState& r = in.remote;
  Planned p;
  if (!l.exists && !r.exists) {
    p.reason = "missing on both nodes";
    return p;
  }
  switch (in.mode) {
    case SyncMode::pull:
      if (!r.exists) {
        p.reason = "missing on the remote; a deletion is never propagated";
      } else if (!l.exists || l.sha256 != r.sha256) {
        p.action = Action::pull;
        p.reason = l.exists ? "differs; pull requested" : "missing here; created from the remote";
      } else {
        p.reason = "in sync";
      }
      return p;
    case SyncMode::push:
      if (!l.exists) {
        p.reason = "missing here; a deletion is never propagated";
      } else if (!r.exists || l.sha256 != r.sha256) {
        p.action = Action::push;
        p.reason = r.exists ? "differs; push requested" : "missing on the remote; created from here";
      } else {
        p.reason = "in sync";
      }
      return p;
    case SyncMode::sync:
      break;
  }
  if (!l.exists) {
    p.action = Action::pull;
    p.reason = "missing here; created from the remote";
    return p;
  }
  if (!r.exists) {
    p.action = Action::push;
    p.reason = "missing on the remote; created from here";
    return p;
  }
  if (l.sha256 == r.sha256) {
    p.reason = "in sync";
    return p;
  }
  if (!in.history) return by_policy(in, "differs and there is no sync history");
  const bool local_changed = l.sha256 != in.history->local;
  const bool remote_changed = r.sha256 != in.history->remote;
  if (remote_changed && !local_changed) {
    p.action = Action::pull;
    p.reason = "changed on the remote since the last sync";
    return p;
  }
  if (local_changed && !remote_changed) {
    p.action = Action::push;
    p.reason = "changed here since the last sync";
    return p;
  }
  return by_policy(in, local_changed ? "changed on both nodes since the last sync" : "differs since the last sync");
}

}  // namespace

bool sender_freshness_matters(const PlanInput& in, const Planned& planned) {
  if (in.item == Item::gravity || (planned.action != Action::pull && planned.action != Action::push)) return false;
  const bool pull = planned.action == Action::pull;
  const ItemState& sender = pull ? in.remote : in.local;
  const ItemState& receiver = pull ? in.local : in.remote;
  if (in.item.is_setting()) return sender.exists && sender.at_default && receiver.exists;
  return sender.exists && sender.records == 0u && receiver.exists && receiver.records.value_or(0) > 0;
}

Planned plan_item(const PlanInput& in) {
  if (in.local.error_code != ExitCode::ok || in.remote.error_code != ExitCode::ok) {
    Planned p;
    const bool local_bad = in.local.error_code != ExitCode::ok;
    p.refusal = local_bad ? in.local.error_code : in.remote.error_code;
    p.reason = local_bad ? in.local.error : in.remote.error;
    return p;
  }
  Planned p = decide(in);
  if (p.action != Action::pull && p.action != Action::push) return p;
  if (sender_freshness_matters(in, p)) {
    const bool pull = p.action == Action::pull;
    const Freshness sender = pull ? in.remote_fresh : in.local_fresh;
    // (A settings value: a fresh node's value at FTL's default is no one's choice.)
    if (sender != Freshness::configured && !in.force) {
      const size_t wiped = (pull ? in.local : in.remote).records.value_or(0);
      p.refusal = ExitCode::refused;
      p.reason = std::string("the ") + (pull ? "remote" : "local") + " node " +
                 (sender == Freshness::fresh
                      ? "is a fresh Pi-hole install (its gravity.db holds nothing beyond one)"
                      : "may be a fresh Pi-hole install (its gravity.db cannot be read to tell)") +
                 (in.item.is_setting()
                      ? std::string(" and its ") + item_name(in.item) + " is FTL's default, which would replace the " +
                            (pull ? "local" : "remote") + " node's value"
                      : " and its empty " + std::string(item_name(in.item)) + " would wipe the " +
                            std::to_string(wiped) + " record" + (wiped == 1 ? "" : "s") + " of the " +
                            (pull ? "local" : "remote") + " node") +
                 "; use --force if that is intended";
    }
    return p;
  }
  if (in.item != Item::gravity) return p;
  const ItemState& sender = p.action == Action::pull ? in.remote : in.local;
  const ItemState& receiver = p.action == Action::pull ? in.local : in.remote;
  if (!receiver.exists) return p;
  if (sender.schema_version != receiver.schema_version) {
    p.refusal = ExitCode::refused;
    auto named = [](int schema) { return std::to_string(schema) + (schema >= 19 ? ", Pi-hole v6" : ", Pi-hole v5"); };
    p.reason = "gravity.db schema versions differ (local " + named(in.local.schema_version) + "; remote " +
               named(in.remote.schema_version) +
               "): databases of different Pi-hole versions are never swapped over "
               "each other; update Pi-hole on both nodes to the same version first";
    return p;
  }
  if (sender.fresh && !receiver.fresh && !in.force) {
    p.refusal = ExitCode::refused;
    p.reason = std::string("the ") + (p.action == Action::pull ? "remote" : "local") +
               " gravity.db holds nothing beyond a fresh Pi-hole install and would replace the " +
               (p.action == Action::pull ? "local" : "remote") + " configuration; use --force if that is intended";
  }
  return p;
}

}  // namespace gs
