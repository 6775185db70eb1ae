#pragma once

#include <map>
#include <string>
#include <vector>

#include "gravity_sync/util/duration.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// What a finished child process left behind.
struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Where the shell would find the program `command`: `command` itself when it holds a `/`,
// else the first executable regular file of that name in $PATH's directories (a
// directory passes access(X_OK) too, so it is not taken); "" when there is none.
std::string find_on_path(const std::string& command);

// Run `argv` (argv[0] looked up in PATH) with `input` on stdin, extra `env`, and a
// `timeout`; capture stdout and stderr. An Error only when it could not be started.
Result<ProcessResult> run_process(const std::vector<std::string>& argv, const std::string& input = "",
                                  Millis timeout = Millis(60000),
                                  const std::map<std::string, std::string>& env = {});

// Run `script` with /bin/sh -c.
Result<ProcessResult> run_shell(const std::string& script, const std::string& input = "",
                                Millis timeout = Millis(60000),
                                const std::map<std::string, std::string>& env = {});

}  // namespace gs
