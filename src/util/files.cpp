#include "gravity_sync/util/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>

namespace gs {

namespace {
Error errno_error(const std::string& what, const std::string& path) {
  return make_error(ExitCode::failure, what + " " + path + ": " + std::strerror(errno));
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 10; ++i) s.push_back(chars[rng() % 36]);
  return s;
}
}  // namespace

Result<FileInfo> stat_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return FileInfo{};
    return errno_error("cannot stat", path);
  }
  FileInfo info;
  info.exists = true;
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime = st.st_mtime;
  info.inode = st.st_ino;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.mode = st.st_mode & 07777;
  return info;
}

Result<std::string> read_file(const std::string& path, size_t max) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open", path);
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
