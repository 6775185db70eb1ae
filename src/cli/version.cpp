#include <iostream>

#include "gravity_sync/cli/context.hpp"
#include "gravity_sync/version.hpp"

namespace gs::cli {

std::function<int()> setup_version(CLI::App&, Globals& globals) {
  return [&globals] {
    if (globals.json) {
      Json doc = Json::object();
      doc.set("version", kVersion);
      print_json(doc);
    } else {
      std::cout << "gravity-sync " << kVersion << "\n";
    }
    return 0;
  };
}

}  // namespace gs::cli
