#pragma once

#include <dirent.h>
#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gravity_sync/util/error.hpp"
#include "gravity_sync/util/fd.hpp"

namespace gs {

// What kind of file a path names.
enum class FileType { none, regular, directory, symlink, other };

// Whether a path's last component is followed when it is a symbolic link.
enum class Follow { yes, no };

// What stat(2) (or lstat(2)) says of a file, for change detection and the JSON report.
struct FileInfo {
  bool exists = false;
  FileType type = FileType::none;
  uint64_t size = 0;
  int64_t mtime = 0;
  uint64_t inode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
};

// Owns a DIR* from opendir(3).
struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

// stat(2) of `path` (lstat(2) with Follow::no); exists=false when it is missing, an Error
// for other failures.
Result<FileInfo> stat_file(const std::string& path, Follow follow = Follow::yes);

// `path` opened read-only, for reading a regular file: with Follow::no a symbolic link is
// refused (O_NOFOLLOW); a FIFO, device or directory is refused without blocking. Both
// refusals are ExitCode::refused naming the path.
Result<Fd> open_regular(const std::string& path, Follow follow = Follow::yes);

// The whole content of the regular file at `path` (opened as open_regular does);
// ExitCode::refused when it holds more than `max` bytes (nothing beyond that is read).
Result<std::string> read_file(const std::string& path, size_t max = SIZE_MAX, Follow follow = Follow::yes);

// What follows a path that is a symbolic link in the refusal of it, on either node.
inline constexpr const char* kSymlinkRefusal =
    "is a symbolic link; gravity-sync reads and replaces Pi-hole's files only as regular files (put the file "
    "itself in its place)";

// The refusal of `path`, which is not a regular file (a symbolic link when `link`).
Error irregular_file(const std::string& path, bool link);

// ExitCode::refused naming `path` unless `info` (stat_file(path, Follow::no)) is a
// regular file or nothing: gravity-sync reads and replaces Pi-hole's files only as
// regular files, never through a symbolic link.
Status require_regular(const std::string& path, const FileInfo& info);

// Make `dir` (and its parents, 0755) a private directory: created 0700 when missing,
// refused (ExitCode::refused) unless it is a directory, not a symbolic link, owned by this
// user and writable by no one else, and then made 0700. Files made there cannot be
// replaced or read by another user.
Status ensure_private_dir(const std::string& dir);

// For `check`, read-only: whether `path` could be created or written by this process, as a
// `type` (FileType::regular or FileType::directory) that ensure_private_dir() or an
// O_NOFOLLOW open accepts. ExitCode::refused when it is a symbolic link or another type;
// for a directory, also when it is another user's or writable by others; ExitCode::failure
// when neither it nor (when missing) its nearest existing ancestor may be written
// (access(2) with the effective ids, which also refuses a read-only filesystem).
Status check_creatable(const std::string& path, FileType type);

// For `check`, read-only: ExitCode::failure naming `path` when it exists and this process
// may not write it (a directory: create and rename in it), by access(2) with the effective
// ids — which also refuses a read-only filesystem and an immutable file (chattr +i).
Status check_writable_path(const std::string& path);

// Put the file open as `fd` — named `path`, in a private directory (ensure_private_dir),
// its owner and mode set — at `dest`, atomically replacing what is there: rename(2) when
// both lie on one filesystem; otherwise a copy made through a file created in `dest`'s
// directory (O_TMPFILE and linkat(2), or O_EXCL), given fd's owner and mode, synced, and
// renamed over `dest` only after the name is checked to still be that inode. rename(2)
// replaces a symbolic link at `dest` rather than following it. `path` is gone after.
Status place_file(int fd, const std::string& path, const std::string& dest);

// A second hard link to the file at `path`, in its directory, named `prefix` + random
// (created with link(2), which never replaces a file); its path.
Result<std::string> link_beside(const std::string& path, const std::string& prefix);

// Write `data` to `fd` completely.
Status write_all(int fd, const void* data, size_t size);

// fsync the directory at `dir`, so a rename in it is durable.
Status fsync_dir(const std::string& dir);

// Free bytes available to this user on the filesystem holding `dir`.
Result<uint64_t> free_space(const std::string& dir);

// The directory part of `path` ("." when there is none).
std::string dir_name(const std::string& path);

// The last component of `path`.
std::string base_name(const std::string& path);

// Create `dir` and its parents with `mode` if missing.
Status make_dirs(const std::string& dir, mode_t mode = 0755);

// A new file in `dir` named `prefix` + random (getrandom(2)) + `suffix`, opened O_EXCL
// and O_NOFOLLOW with mode 0600.
struct TempFile {
  std::string path;
  Fd fd;
};
Result<TempFile> create_temp_file(const std::string& dir, const std::string& prefix, const std::string& suffix);

// Removes a path when it goes out of scope, unless `release`d. For temp files.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  ~RemoveOnExit();
  void release() { path_.clear(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Write `data` to `path` atomically: temp file in the same dir, fsync, rename, fsync dir.
// The new file gets `mode`. `durable` false skips both fsyncs (for throw-away status).
Status write_file_atomic(const std::string& path, const std::string& data, mode_t mode, bool durable = true);

// True when some process this user may inspect has the file at `path` open (a scan of
// /proc/*/fd for its device and inode).
bool open_by_any_process(const std::string& path);

// Remove files in `dir` whose names start with `prefix` and that are older than
// `min_age_seconds` (stale temp files of a killed run). Returns how many went.
int remove_stale(const std::string& dir, const std::string& prefix, int64_t min_age_seconds);

}  // namespace gs
