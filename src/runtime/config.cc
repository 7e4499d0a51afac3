#include "flytecpp/runtime/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace flytecpp::runtime {

namespace {

namespace fs = std::filesystem;

// `images:` (a list).
Result<std::vector<ImageMapping>> ReadImages(const YAML::Node& images, const fs::path& path) {
  std::vector<ImageMapping> out;
  std::error_code ec;
  // Host paths in the file are relative to the file, wherever flytecpp runs.
  const fs::path base = fs::absolute(path, ec).parent_path();
  auto host_path = [&](const std::string& p) { return (base / p).lexically_normal(); };
  if (!images.IsSequence()) return InvalidArgument(path.string() + ": images: expected a list");
  for (const auto& e : images) {
    ImageMapping m;
    m.pattern = e["image"].as<std::string>();
    if (e["root"]) m.root = host_path(e["root"].as<std::string>());
    if (e["workdir"]) m.workdir = e["workdir"].as<std::string>();
    if (e["python"]) m.python = host_path(e["python"].as<std::string>());
    for (const auto& mount : e["mounts"]) {
      std::string s = mount.as<std::string>();
      size_t colon = s.find(':');
      if (colon == std::string::npos) {
        return InvalidArgument(path.string() + ": mount \"" + s + "\": expected host:sandbox");
      }
      m.mounts.emplace_back(host_path(s.substr(0, colon)), s.substr(colon + 1));
    }
    out.push_back(std::move(m));
  }
  return out;
}

// `slurm:` (a map).
Result<SlurmOptions> ReadSlurm(const YAML::Node& slurm, const fs::path& path) {
  SlurmOptions out;
  if (!slurm.IsMap()) return InvalidArgument(path.string() + ": slurm: expected a map");
  const std::map<std::string, std::string*> text = {
      {"partition", &out.partition},
      {"account", &out.account},
      {"qos", &out.qos},
      {"interruptible_partition", &out.interruptible_partition},
      {"interruptible_qos", &out.interruptible_qos}};
  const std::map<std::string, std::vector<std::string>*> lists = {{"task_types", &out.task_types},
                                                                  {"images", &out.images}};
  for (const auto& field : slurm) {
    const std::string key = field.first.as<std::string>();
    if (auto t = text.find(key); t != text.end()) {
      *t->second = field.second.as<std::string>();
    } else if (key == "max_array_size") {
      out.max_array_size = field.second.as<int64_t>();
      if (out.max_array_size < 1) {
        return InvalidArgument(path.string() +
                               ": slurm.max_array_size: expected a positive number");
      }
    } else if (auto l = lists.find(key); l != lists.end()) {
      if (!field.second.IsSequence()) {
        return InvalidArgument(path.string() + ": slurm." + key + ": expected a list");
      }
      *l->second = field.second.as<std::vector<std::string>>();
    } else {
      return InvalidArgument(path.string() + ": slurm." + key +
                             ": unknown field (partition, account, qos, interruptible_partition, "
                             "interruptible_qos, task_types, images, max_array_size)");
    }
  }
  return out;
}

// `sql:` (a map holding `connections:`).
Result<std::map<std::string, SqlConnection>> ReadSql(const YAML::Node& sql, const fs::path& path) {
  std::map<std::string, SqlConnection> out;
  if (!sql.IsMap()) return InvalidArgument(path.string() + ": sql: expected a map");
  for (const auto& field : sql) {
    const std::string key = field.first.as<std::string>();
    if (key != "connections") {
      return InvalidArgument(path.string() + ": sql." + key + ": unknown field (connections)");
    }
  }
  const YAML::Node connections = sql["connections"];
  if (!connections) return out;
  if (!connections.IsMap()) {
    return InvalidArgument(path.string() + ": sql.connections: expected a map of NAME: {...}");
  }
  for (const auto& c : connections) {
    const std::string name = c.first.as<std::string>();
    const std::string where = path.string() + ": sql.connections." + name;
    SqlConnection conn;
    for (const auto& field : c.second) {
      const std::string key = field.first.as<std::string>();
      if (key == "postgres") {
        conn.conninfo = field.second.as<std::string>();
      } else if (key == "password_secret") {
        conn.password_secret = field.second.as<std::string>();
        if (std::count(conn.password_secret.begin(), conn.password_secret.end(), '/') != 1) {
          return InvalidArgument(where + ".password_secret: expected GROUP/KEY");
        }
      } else {
        return InvalidArgument(where + "." + key + ": unknown field (postgres, password_secret)");
      }
    }
    if (conn.conninfo.empty()) return InvalidArgument(where + ": no postgres: connection string");
    if (conn.conninfo.find("password") != std::string::npos) {
      return InvalidArgument(where +
                             ".postgres: holds a password; use password_secret (a secret set "
                             "with flytecpp secrets set) instead");
    }
    out[name] = std::move(conn);
  }
  return out;
}

}  // namespace

Result<RuntimeConfig> LoadRuntimeConfig(const fs::path& path) {
  RuntimeConfig out;
  std::error_code ec;
  if (!fs::exists(path, ec)) return out;
  try {
    const YAML::Node root = YAML::LoadFile(path.string());
    if (!root || root.IsNull()) return out;  // an empty file
    if (!root.IsMap()) return InvalidArgument(path.string() + ": expected a map at the top");
    for (const auto& field : root) {
      const std::string key = field.first.as<std::string>();
      if (key == "images") {
        FLYTECPP_ASSIGN_OR_RETURN(out.images, ReadImages(field.second, path));
      } else if (key == "slurm") {
        FLYTECPP_ASSIGN_OR_RETURN(out.slurm, ReadSlurm(field.second, path));
      } else if (key == "sql") {
        FLYTECPP_ASSIGN_OR_RETURN(out.sql_connections, ReadSql(field.second, path));
      } else {
        return InvalidArgument(path.string() + ": " + key + ": unknown field (images, slurm, sql)");
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path.string() + ": " + e.what());
  }
  return out;
}

}  // namespace flytecpp::runtime
