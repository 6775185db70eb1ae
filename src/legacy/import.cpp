#include "gravity_sync/legacy/import.hpp"

#include "gravity_sync/config/config.hpp"

#include <cctype>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gravity_sync/node/remote_node.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

// 4.x variables we carry over, with its defaults where they matter.
const std::set<std::string>& carried() {
  static const std::set<std::string> names = {
      "REMOTE_HOST", "REMOTE_USER", "GS_SSH_PORT", "GS_SSH_PKIF", "SSH_PORT", "SSH_PKIF",
      "LOCAL_PIHOLE_DIRECTORY", "REMOTE_PIHOLE_DIRECTORY", "LOCAL_DNSMASQ_DIRECTORY", "REMOTE_DNSMASQ_DIRECTORY",
      "LOCAL_PIHOLE_BINARY", "REMOTE_PIHOLE_BINARY", "LOCAL_FTL_BINARY", "REMOTE_FTL_BINARY",
      "LOCAL_PIHOLE_TYPE", "REMOTE_PIHOLE_TYPE", "LOCAL_DOCKER_CONTAINER", "REMOTE_DOCKER_CONTAINER"};
  return names;
}

// 4.x variables that mean nothing here (they tune the bash script itself), or that this
// tool handles another way (file owners: a replaced file keeps its owner).
const std::set<std::string>& known_ignored() {
  static const std::set<std::string> names = {
      "LOCAL_FILE_OWNER", "REMOTE_FILE_OWNER", "LOCAL_DOCKER_BINARY", "REMOTE_DOCKER_BINARY",
      "LOCAL_PODMAN_BINARY", "REMOTE_PODMAN_BINARY", "PIHOLE_CONTAINER_IMAGE", "DEFAULT_PIHOLE_DIRECTORY",
      "PH_GRAVITY_FI", "PH_CUSTOM_DNS", "PH_CNAME_CONF", "PH_SDHCP_CONF", "GS_BACKUP_TIMEOUT",
      "GS_BACKUP_INTEGRITY_WAIT", "GS_BACKUP_EXT", "GS_ETC_PATH", "GS_CONFIG_FILE", "GS_SYNCING_LOG",
      "GS_GRAVITY_FI_MD5_LOG", "GS_CUSTOM_DNS_MD5_LOG", "GS_CNAME_CONF_MD5_LOG", "GS_SDHCP_CONF_MD5_LOG",
      "GS_LOCAL_REPO", "VERIFY_PASS", "SKIP_CUSTOM", "INCLUDE_CNAME", "DATE_OUTPUT", "PING_AVOID",
      "ROOT_CHECK_AVOID", "BACKUP_TIMEOUT", "BACKUP_INTEGRITY_WAIT", "GRAVITY_FI", "CUSTOM_DNS", "CNAME_CONF",
      "GSLAN_CONF", "CONFIG_FILE", "GS_FILENAME", "BACKUP_FOLD", "LOG_PATH", "SYNCING_LOG", "CRONJOB_LOG",
      "HISTORY_MD5", "BASH_PATH", "DAEMON_PATH"};
  return names;
}

bool valid_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// The value after `=`: quoted ('...' literally, "..." with \" \\ \$ \` escapes) or bare
// up to whitespace; a trailing `# comment` is allowed. nullopt when malformed.
std::optional<std::string> parse_value(const std::string& raw) {
  std::string out;
  size_t i = 0;
  if (i < raw.size() && raw[i] == '\'') {
    auto end = raw.find('\'', 1);
    if (end == std::string::npos) return std::nullopt;
    out = raw.substr(1, end - 1);
    i = end + 1;
  } else if (i < raw.size() && raw[i] == '"') {
    ++i;
    for (; i < raw.size() && raw[i] != '"'; ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size() && std::string("\"\\$`").find(raw[i + 1]) != std::string::npos) ++i;
      out += raw[i];
    }
    if (i >= raw.size()) return std::nullopt;
    ++i;
  } else {
    while (i < raw.size() && !std::isspace(static_cast<unsigned char>(raw[i])) && raw[i] != '#') out += raw[i++];
  }
  while (i < raw.size() && std::isspace(static_cast<unsigned char>(raw[i]))) ++i;
  if (i < raw.size() && raw[i] != '#') return std::nullopt;  // more after the value: a command, not data
  return out;
}

std::string get(const LegacyConfig& c, const std::string& name, const std::string& fallback = "") {
  auto it = c.values.find(name);
  return it == c.values.end() || it->second.empty() ? fallback : it->second;
}

// The bytes of `in`, padded base64 as ssh-keygen -H writes it (RFC 4648: groups of four
// characters of the alphabet, at most two '=' at the very end), or nullopt for anything
// else. Checked whole before decoding: EVP_DecodeBlock counts every group as three bytes,
// so the padding taken off must be that of the last group only ("====" is not one).
std::optional<std::string> base64_decode(const std::string& in) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < in.size() && in[in.size() - 1 - padding] == '=') ++padding;
  if (padding > 2) return std::nullopt;
  if (std::string_view(in).substr(0, in.size() - padding).find_first_not_of(kAlphabet) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);
  return out;
}

// |1|base64(salt)|base64(HMAC-SHA1(salt, name)) matches `name`.
bool hashed_match(const std::string& field, const std::string& name) {
  if (field.rfind("|1|", 0) != 0) return false;
  auto bar = field.find('|', 3);
  if (bar == std::string::npos) return false;
  const auto salt = base64_decode(field.substr(3, bar - 3));
  const auto want = base64_decode(field.substr(bar + 1));
  if (!salt || !want) return false;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()), reinterpret_cast<const unsigned char*>(name.data()),
       name.size(), md, &len);
  return *want == std::string(reinterpret_cast<char*>(md), len);
}

}  // namespace

Result<LegacyConfig> parse_legacy_config(const std::string& text, const std::string& path,
                                         const std::map<std::string, std::string>& environment) {
  LegacyConfig c;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    const auto eq = line.find('=');
    const std::string name = eq == std::string::npos ? "" : line.substr(0, eq);
    auto value = eq == std::string::npos ? std::nullopt : parse_value(line.substr(eq + 1));
    if (!valid_name(name) || !value) {
      return make_error(ExitCode::usage, path + ":" + std::to_string(number) +
                                             ": not a NAME=value line (the file is read as data, never run): " +
                                             line.substr(0, 80));
    }
    if (value->find('$') != std::string::npos || value->find('`') != std::string::npos) {
      c.warnings.push_back(name + " uses shell expansion (" + *value + "); it is taken literally, check it");
    }
    if (!c.values.count(name)) {
      if (!carried().count(name) && !known_ignored().count(name)) c.unknown.push_back(name);
      if (known_ignored().count(name)) c.ignored.push_back(name);
    }
    c.values[name] = *value;
  }
  for (const auto& name : carried()) {
    auto env = environment.find(name);
    if (!c.values.count(name) && env != environment.end()) c.values[name] = env->second;
  }
  if (get(c, "REMOTE_HOST").empty()) {
    return make_error(ExitCode::usage, path + ": REMOTE_HOST is not set (in the file or the environment)");
  }
  for (const auto& [name, value] : c.values) {
    if (has_control_chars(value)) return make_error(ExitCode::usage, path + ": " + name + " contains control characters");
  }
  return c;
}

std::string legacy_to_yaml(const LegacyConfig& c, const std::string& known_hosts) {
  std::ostringstream y;
  const std::string user = get(c, "REMOTE_USER", "root");
  y << "# gravity-sync configuration, imported from a Gravity Sync 4.x gravity-sync.conf.\n"
    << "# Review it, then run `gravity-sync check`. Reference: docs/CONFIGURATION.md\n"
    << "remote:\n"
    << "  host: " << yaml_quote(get(c, "REMOTE_HOST")) << "          # REMOTE_HOST\n"
    << "  port: " << get(c, "GS_SSH_PORT", get(c, "SSH_PORT", "22")) << "                      # GS_SSH_PORT\n"
    << "  user: " << yaml_quote(user) << "          # REMOTE_USER\n";
  if (user != "root") {
    y << "  sudo: true                    # REMOTE_USER is not root: remote commands run through `sudo -n`\n"
      << "  # It needs this sudoers line on the remote (docs/NON-ROOT.md): " << sudoers_line(user) << "\n";
  }
  y << "  identity_file: " << yaml_quote(get(c, "GS_SSH_PKIF", get(c, "SSH_PKIF", "/etc/gravity-sync/gravity-sync.rsa")))
    << "   # GS_SSH_PKIF\n"
    << "  known_hosts: " << yaml_quote(known_hosts) << "\n";
  auto layout = [&](const std::string& side) {
    const std::string up = side == "remote" ? "REMOTE" : "LOCAL";
    y << "  pihole_dir: " << yaml_quote(get(c, up + "_PIHOLE_DIRECTORY", "/etc/pihole")) << "   # " << up
      << "_PIHOLE_DIRECTORY\n"
      << "  dnsmasq_dir: " << yaml_quote(get(c, up + "_DNSMASQ_DIRECTORY", "/etc/dnsmasq.d")) << "   # " << up
      << "_DNSMASQ_DIRECTORY\n";
    if (!get(c, up + "_PIHOLE_BINARY").empty()) {
      y << "  pihole_command: " << yaml_quote(get(c, up + "_PIHOLE_BINARY")) << "   # " << up << "_PIHOLE_BINARY\n";
    }
    if (!get(c, up + "_FTL_BINARY").empty()) {
      y << "  ftl_command: " << yaml_quote(get(c, up + "_FTL_BINARY")) << "   # " << up << "_FTL_BINARY\n";
    }
    const std::string type = get(c, up + "_PIHOLE_TYPE", "default");
    if (type == "docker" || type == "podman") {
      y << "  container: " << yaml_quote(type + ":" + get(c, up + "_DOCKER_CONTAINER", "pihole")) << "   # " << up
        << "_PIHOLE_TYPE, " << up << "_DOCKER_CONTAINER (the directories above are its bind mounts)\n";
    }
  };
  layout("remote");
  y << "local:\n";
  layout("local");
  y << "sync:\n  items: [gravity, custom-dns, cname]\n";
  return y.str();
}

std::vector<std::string> known_host_lines(const std::string& text, const std::string& host, int port) {
  const std::string name = port == 22 ? host : "[" + host + "]:" + std::to_string(port);
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '@') continue;
    const std::string hosts = line.substr(0, line.find(' '));
    bool match = false;
    std::istringstream list(hosts);
    std::string entry;
    while (std::getline(list, entry, ',')) match = match || entry == name || hashed_match(entry, name);
    if (match) out.push_back(line);
  }
  return out;
}

}  // namespace gs
