#include "flytecpp/runtime/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

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

// A GROUP/KEY secret name at `where`.
Status CheckSecretName(const std::string& name, const std::string& where) {
  if (std::count(name.begin(), name.end(), '/') != 1 || name.front() == '/' || name.back() == '/') {
    return InvalidArgument(where + ": expected GROUP/KEY (a secret set with flytecpp secrets set)");
  }
  return Status::Ok();
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
        FLYTECPP_RETURN_IF_ERROR(CheckSecretName(conn.password_secret, where + ".password_secret"));
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

// `notifications:` (a map).
Result<NotificationSettings> ReadNotifications(const YAML::Node& node, const fs::path& path) {
  NotificationSettings out;
  const std::string at = path.string() + ": notifications";
  if (!node.IsMap()) return InvalidArgument(at + ": expected a map");
  for (const auto& field : node) {
    const std::string key = field.first.as<std::string>();
    if (key == "subject") {
      out.subject = field.second.as<std::string>();
    } else if (key == "body") {
      out.body = field.second.as<std::string>();
    } else if (key == "console_url") {
      out.console_url = field.second.as<std::string>();
    } else if (key == "smtp") {
      SmtpSettings smtp;
      if (!field.second.IsMap()) return InvalidArgument(at + ".smtp: expected a map");
      const std::map<std::string, std::string*> text = {{"server", &smtp.server},
                                                        {"sender", &smtp.sender},
                                                        {"username", &smtp.username},
                                                        {"password_secret", &smtp.password_secret},
                                                        {"tls", &smtp.tls}};
      for (const auto& f : field.second) {
        const std::string k = f.first.as<std::string>();
        auto t = text.find(k);
        if (t == text.end()) {
          return InvalidArgument(
              at + ".smtp." + k +
              ": unknown field (server, sender, username, password_secret, tls)");
        }
        *t->second = f.second.as<std::string>();
      }
      if (smtp.server.empty() || smtp.server.find(':') == std::string::npos) {
        return InvalidArgument(at + ".smtp.server: expected host:port");
      }
      if (smtp.sender.empty())
        return InvalidArgument(at + ".smtp.sender: missing (the From: address)");
      if (smtp.tls != "none" && smtp.tls != "starttls" && smtp.tls != "tls") {
        return InvalidArgument(at + ".smtp.tls: none, starttls or tls, not \"" + smtp.tls + "\"");
      }
      if (!smtp.password_secret.empty()) {
        FLYTECPP_RETURN_IF_ERROR(
            CheckSecretName(smtp.password_secret, at + ".smtp.password_secret"));
      }
      out.smtp = std::move(smtp);
    } else if (key == "webhooks") {
      if (!field.second.IsSequence()) return InvalidArgument(at + ".webhooks: expected a list");
      for (const auto& w : field.second) {
        WebhookSettings hook;
        const std::string where = at + ".webhooks[" + std::to_string(out.webhooks.size()) + "]";
        if (!w.IsMap()) return InvalidArgument(where + ": expected a map");
        for (const auto& f : w) {
          const std::string k = f.first.as<std::string>();
          if (k == "name") {
            hook.name = f.second.as<std::string>();
          } else if (k == "url") {
            hook.url = f.second.as<std::string>();
          } else if (k == "secret") {
            hook.secret = f.second.as<std::string>();
            FLYTECPP_RETURN_IF_ERROR(CheckSecretName(hook.secret, where + ".secret"));
          } else if (k == "phases" || k == "projects" || k == "launch_plans") {
            if (!f.second.IsSequence())
              return InvalidArgument(where + "." + k + ": expected a list");
            auto values = f.second.as<std::vector<std::string>>();
            (k == "phases"     ? hook.phases
             : k == "projects" ? hook.projects
                               : hook.launch_plans) = std::move(values);
          } else {
            return InvalidArgument(where + "." + k +
                                   ": unknown field (name, url, phases, projects, launch_plans, "
                                   "secret)");
          }
        }
        if (hook.name.empty()) return InvalidArgument(where + ".name: missing");
        if (hook.url.rfind("http://", 0) != 0 && hook.url.rfind("https://", 0) != 0) {
          return InvalidArgument(where + ".url: expected an http:// or https:// URL");
        }
        for (const auto& phase : hook.phases) {
          static const std::set<std::string> kTerminal = {"SUCCEEDED", "FAILED", "TIMED_OUT",
                                                          "ABORTED"};
          if (!kTerminal.count(phase)) {
            return InvalidArgument(where + ".phases: \"" + phase +
                                   "\" is not a phase an execution ends in (SUCCEEDED, FAILED, "
                                   "TIMED_OUT, ABORTED)");
          }
        }
        out.webhooks.push_back(std::move(hook));
      }
    } else {
      return InvalidArgument(at + "." + key +
                             ": unknown field (smtp, subject, body, console_url, webhooks)");
    }
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
      } else if (key == "notifications") {
        FLYTECPP_ASSIGN_OR_RETURN(out.notifications, ReadNotifications(field.second, path));
      } else {
        return InvalidArgument(path.string() + ": " + key +
                               ": unknown field (images, slurm, sql, notifications)");
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path.string() + ": " + e.what());
  }
  return out;
}

}  // namespace flytecpp::runtime
