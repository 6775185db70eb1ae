#include "gravity_sync/cli/app.hpp"

int main(int argc, char** argv) { return gs::cli::run(argc, argv); }
