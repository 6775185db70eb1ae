#pragma once

namespace gs::cli {

// Parse `argv`, run the command, and return the process exit code (CONTRACT.md).
int run(int argc, char** argv);

}  // namespace gs::cli
