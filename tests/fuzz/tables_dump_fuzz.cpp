// Fuzz target: the dump of another node's configuration tables (`sync.gravity_mode:
// tables`): lines "TABLE t:HEX i:HEX ..." as table_dump_sql() prints them, turned into a
// tables file by tables_from_dump (sqlite/tables).
//
// Input: one byte choosing the schema the dump claims ('0', '1', '2'... in the order of
// known_schemas(): 15, 19, 20), then the dump.
//
// For every input, nothing crashes or throws: tables_from_dump refuses (ExitCode::refused
// for a malformed line or value) or writes a tables file, and a tables file it writes is
// read by tables_file_digest (the schema check of a tables file, then the configuration
// digest) without crashing. The file goes to a private temporary directory and is removed
// after each input.

#include <unistd.h>

#include <filesystem>

#include "fuzz_support.hpp"
#include "gravity_sync/sqlite/schema.hpp"
#include "gravity_sync/sqlite/tables.hpp"

namespace gs::fuzz {
namespace {

// A directory of this process's own, removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "gs-fuzz-tables-XXXXXX").string();
    if (!::mkdtemp(templ.data())) violated("cannot create a scratch directory");
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::string& tables_path() {
  static const ScratchDir dir;
  static const std::string path = dir.path() + "/tables.db";
  return path;
}

}  // namespace
}  // namespace gs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gs;
  using namespace gs::fuzz;
  static const std::vector<int> versions = known_schemas();
  const auto [choice, dump] = take_choice(as_text(data, size), versions.size());
  const PiholeSchema& schema = *pihole_schema(versions[choice]);
  const std::string& path = tables_path();
  ::unlink(path.c_str());
  const Status made = tables_from_dump(schema, dump, path);
  if (made.ok()) (void)tables_file_digest(path);
  ::unlink(path.c_str());
  return 0;
}
