#pragma once

namespace gs {

// A process-wide "stop now" flag, set from a signal handler (async-signal-safe) and
// checked by every loop that can run long: SSH transfers, lock waits, swap waits.
void request_cancel();

// True once request_cancel() was called and until reset_cancel().
bool cancel_requested();

// Clear the flag (after the daemon has handled a stop it did not exit on).
void reset_cancel();

}  // namespace gs
