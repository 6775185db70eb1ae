#include "gravity_sync/util/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "gravity_sync/util/bytes.hpp"

namespace gs {

namespace {
Error errno_error(const std::string& what, const std::string& path) {
  return make_error(ExitCode::failure, what + " " + path + ": " + std::strerror(errno));
}

// 12 characters from the kernel's random source: a name no other user can guess.
std::string random_suffix() {
  static const char* chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[12];
  random_bytes(bytes, sizeof bytes);
  std::string s;
  for (unsigned char b : bytes) s.push_back(chars[b % 36]);
  return s;
}

FileType type_of(mode_t mode) {
  if (S_ISREG(mode)) return FileType::regular;
  if (S_ISDIR(mode)) return FileType::directory;
  if (S_ISLNK(mode)) return FileType::symlink;
  return FileType::other;
}
}  // namespace

Result<FileInfo> stat_file(const std::string& path, Follow follow) {
  struct stat st {};
  if ((follow == Follow::yes ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return FileInfo{};
    return errno_error("cannot stat", path);
  }
  FileInfo info;
  info.exists = true;
  info.type = type_of(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime = st.st_mtime;
  info.inode = st.st_ino;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.mode = st.st_mode & 07777;
  return info;
}

Result<Fd> open_regular(const std::string& path, Follow follow) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (follow == Follow::no ? O_NOFOLLOW : 0);
  Fd fd(::open(path.c_str(), flags));
  if (!fd.valid()) {
    if (errno == ELOOP && follow == Follow::no) return irregular_file(path, true);
    return errno_error("cannot open", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return irregular_file(path, false);
  const int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl >= 0) (void)::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

Error irregular_file(const std::string& path, bool link) {
  return make_error(ExitCode::refused, path + (link ? std::string(" ") + kSymlinkRefusal : " is not a regular file"));
}

Status require_regular(const std::string& path, const FileInfo& info) {
  if (!info.exists || info.type == FileType::regular) return {};
  return irregular_file(path, info.type == FileType::symlink);
}

Result<std::string> read_file(const std::string& path, size_t max, Follow follow) {
  auto opened = open_regular(path, follow);
  if (!opened) return opened.error();
  Fd fd = std::move(*opened);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read", path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max) {
      return make_error(ExitCode::refused, path + " is larger than " + std::to_string(max) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> link_beside(const std::string& path, const std::string& prefix) {
  const std::string dir = dir_name(path);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string name = dir + "/" + prefix + random_suffix();
    if (::link(path.c_str(), name.c_str()) == 0) return name;
    if (errno != EEXIST) return errno_error("cannot link", path);
  }
  return make_error(ExitCode::failure, "cannot find a free name beside " + path);
}

Status write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(errno == ENOSPC ? ExitCode::refused : ExitCode::failure,
                        std::string("write failed: ") + std::strerror(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync directory", dir);
  return {};
}

Result<uint64_t> free_space(const std::string& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return errno_error("cannot statvfs", dir);
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

std::string dir_name(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string base_name(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

Status make_dirs(const std::string& dir, mode_t mode) {
  if (dir.empty() || dir == "/" || dir == ".") return {};
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return make_error(ExitCode::failure, dir + " exists and is not a directory");
  }
  if (auto parent = make_dirs(dir_name(dir), mode); !parent) return parent;
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return errno_error("cannot create directory", dir);
  return {};
}

Status ensure_private_dir(const std::string& dir) {
  if (auto st = make_dirs(dir_name(dir), 0755); !st) return st;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("cannot create directory", dir);
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0) {
    return make_error(ExitCode::refused, dir + " must be a directory owned by this user and writable by no one else "
                                               "(not a symbolic link): gravity-sync keeps its private copies there");
  }
  // Readable by no one else either: it holds copies of Pi-hole's configuration.
  if ((st.st_mode & 07777) != 0700 && ::fchmod(fd.get(), 0700) != 0) return errno_error("cannot chmod", dir);
  return {};
}

Status check_creatable(const std::string& path, FileType type) {
  auto info = stat_file(path, Follow::no);
  if (!info) return info.error();
  const char* kind = type == FileType::directory ? "directory" : "regular file";
  if (info->exists) {
    if (info->type != type) {
      return make_error(ExitCode::refused,
                        path + " must be a " + kind + (info->type == FileType::symlink ? ", not a symbolic link" : ""));
    }
    if (type == FileType::directory && (info->uid != ::geteuid() || (info->mode & 022) != 0)) {
      return make_error(ExitCode::refused,
                        path + " must be a directory owned by this user and writable by no one else");
    }
    if (::faccessat(AT_FDCWD, path.c_str(), type == FileType::directory ? W_OK | X_OK : R_OK | W_OK, AT_EACCESS) != 0) {
      return errno_error(std::string("cannot write the ") + kind, path);
    }
    return {};
  }
  std::string existing = dir_name(path);
  while (existing != "/") {
    auto up = stat_file(existing);
    if (!up || up->exists) break;  // one that cannot be read counts: access() then says why
    existing = dir_name(existing);
  }
  if (auto up = stat_file(existing); up && up->exists && up->type != FileType::directory) {
    return make_error(ExitCode::failure, "cannot create the " + std::string(kind) + " " + path + ": " + existing +
                                             " exists and is not a directory");
  }
  if (::faccessat(AT_FDCWD, existing.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    return errno_error(std::string("cannot create the ") + kind + " " + path + " in", existing);
  }
  return {};
}

Status check_writable_path(const std::string& path) {
  auto info = stat_file(path, Follow::no);
  if (!info) return info.error();
  if (!info->exists) return {};
  const int mode = info->type == FileType::directory ? W_OK | X_OK : W_OK;
  if (::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) != 0) return errno_error("cannot write", path);
  return {};
}

namespace {

// Copy all of `from` (from its start) to `to`.
Status copy_fd(int from, int to, const std::string& what) {
  if (::lseek(from, 0, SEEK_SET) != 0) return errno_error("cannot rewind", what);
  std::string buf(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(from, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read", what);
    }
    if (n == 0) return {};
    if (auto st = write_all(to, buf.data(), static_cast<size_t>(n)); !st) return st;
  }
}

// A new file in `dir` that no other user can have named yet: an unnamed O_TMPFILE file
// linked under a random name, or (where the filesystem has no O_TMPFILE) one created
// O_EXCL. Filled with `fd`'s content, owner and mode, and synced.
Result<TempFile> copy_beside(int fd, const std::string& path, const std::string& dir) {
  struct stat src {};
  if (::fstat(fd, &src) != 0) return errno_error("cannot stat", path);
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return errno_error("cannot open directory", dir);
  Fd out(::openat(dir_fd.get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  std::string name;
  if (!out.valid()) {
    auto tmp = create_temp_file(dir, ".gravity-sync.", ".tmp");
    if (!tmp) return tmp.error();
    name = tmp->path;
    out = std::move(tmp->fd);
  }
  RemoveOnExit cleanup(name);
  if (auto st = copy_fd(fd, out.get(), path); !st) return st.error();
  if (::fchown(out.get(), src.st_uid, src.st_gid) != 0 && ::geteuid() == 0) {
    return errno_error("cannot set the owner of a copy in", dir);
  }
  if (::fchmod(out.get(), src.st_mode & 07777) != 0 || ::fsync(out.get()) != 0) {
    return errno_error("cannot prepare a copy in", dir);
  }
  if (name.empty()) {
    // Give the unnamed file a name no one else can have taken.
    const std::string proc = "/proc/self/fd/" + std::to_string(out.get());
    for (int attempt = 0; attempt < 100 && name.empty(); ++attempt) {
      const std::string candidate = dir + "/.gravity-sync." + random_suffix() + ".tmp";
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        name = candidate;
      } else if (errno != EEXIST) {
        return errno_error("cannot link a copy into", dir);
      }
    }
    if (name.empty()) return make_error(ExitCode::failure, "cannot find a free name in " + dir);
  }
  cleanup.release();
  return TempFile{name, std::move(out)};
}

}  // namespace

Status place_file(int fd, const std::string& path, const std::string& dest) {
  if (::rename(path.c_str(), dest.c_str()) == 0) return {};
  if (errno != EXDEV) return errno_error("cannot rename " + path + " over", dest);
  // Another filesystem (a container's bind mount, say): a copy beside `dest`, whose name
  // lies in a directory others may write; it must still be our inode when it is renamed.
  auto copy = copy_beside(fd, path, dir_name(dest));
  if (!copy) return copy.error();
  RemoveOnExit cleanup(copy->path);
  struct stat ours {};
  struct stat named {};
  if (::fstat(copy->fd.get(), &ours) != 0 || ::lstat(copy->path.c_str(), &named) != 0 ||
      ours.st_dev != named.st_dev || ours.st_ino != named.st_ino) {
    return make_error(ExitCode::refused, "the copy " + copy->path + " was replaced by someone else; not installing it");
  }
  if (::rename(copy->path.c_str(), dest.c_str()) != 0) return errno_error("cannot rename " + copy->path + " over", dest);
  cleanup.release();
  ::unlink(path.c_str());
  return {};
}

Result<TempFile> create_temp_file(const std::string& dir, const std::string& prefix, const std::string& suffix) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string path = dir + "/" + prefix + random_suffix() + suffix;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) return TempFile{path, Fd(fd)};
    if (errno != EEXIST) return errno_error("cannot create temp file in", dir);
  }
  return make_error(ExitCode::failure, "cannot create a unique temp file in " + dir);
}

RemoveOnExit::~RemoveOnExit() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

Status write_file_atomic(const std::string& path, const std::string& data, mode_t mode, bool durable) {
  const std::string dir = dir_name(path);
  auto tmp = create_temp_file(dir, "." + base_name(path) + ".", ".tmp");
  if (!tmp) return tmp.error();
  RemoveOnExit cleanup(tmp->path);
  if (auto st = write_all(tmp->fd.get(), data.data(), data.size()); !st) return st;
  if (::fchmod(tmp->fd.get(), mode) != 0) return errno_error("cannot chmod", tmp->path);
  if (durable && ::fsync(tmp->fd.get()) != 0) return errno_error("cannot fsync", tmp->path);
  if (!tmp->fd.close()) return errno_error("cannot close", tmp->path);
  if (::rename(tmp->path.c_str(), path.c_str()) != 0) return errno_error("cannot rename over", path);
  cleanup.release();
  return durable ? fsync_dir(dir) : Status{};
}

int remove_stale(const std::string& dir, const std::string& prefix, int64_t min_age_seconds) {
  DirHandle d(::opendir(dir.c_str()));
  if (!d) return 0;
  int removed = 0;
  const int64_t now = std::time(nullptr);
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    std::string path = dir + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (now - st.st_mtime < min_age_seconds) continue;
    if (::unlink(path.c_str()) == 0) ++removed;
  }
  return removed;
}

bool open_by_any_process(const std::string& path) {
  struct stat target {};
  if (::stat(path.c_str(), &target) != 0) return false;
  DirHandle proc(::opendir("/proc"));
  if (!proc) return false;
  while (dirent* p = ::readdir(proc.get())) {
    if (p->d_name[0] < '1' || p->d_name[0] > '9') continue;
    const std::string fds = std::string("/proc/") + p->d_name + "/fd";
    DirHandle dir(::opendir(fds.c_str()));
    if (!dir) continue;  // gone, or not ours to read
    while (dirent* f = ::readdir(dir.get())) {
      if (f->d_name[0] == '.') continue;
      struct stat st {};
      if (::stat((fds + "/" + f->d_name).c_str(), &st) == 0 && st.st_dev == target.st_dev &&
          st.st_ino == target.st_ino) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace gs
