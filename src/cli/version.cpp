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

std::function<int()> setup_not_yet(CLI::App& sub, Globals& globals) {
  sub.allow_extras();
  const std::string name = sub.get_name();
  return [&globals, name] {
    return fail(globals, make_error(ExitCode::failure, "`gravity-sync " + name + "` is not part of gravity-sync " +
                                                           std::string(kVersion) + " yet; see CHANGELOG.md"));
  };
}

}  // namespace gs::cli
