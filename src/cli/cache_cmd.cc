// flytecpp cache ls | rm KEY | prune [--max-size SIZE] [--older-than DUR]:
// the cache of discoverable tasks' outputs, and evicting from it (which
// Flyte's datacatalog cannot do, flyte#6626).
#include <chrono>
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "report.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Age(int64_t ns) {
  const int64_t s = std::max<int64_t>(0, (NowNs() - ns) / 1'000'000'000);
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

void PrintEntries(const std::vector<store::CacheEntry>& entries) {
  std::cout << std::left << std::setw(10) << "SIZE" << std::setw(8) << "USED" << std::setw(8)
            << "MADE" << std::setw(40) << "FROM"
            << "KEY\n";
  for (const auto& e : entries) {
    std::cout << std::setw(10) << (std::to_string(e.size_bytes) + "B") << std::setw(8)
              << Age(e.used_ns) << std::setw(8) << Age(e.created_ns) << std::setw(40)
              << (e.source_execution + "/" + e.source_node) << e.key << "\n";
  }
}

int RunList(const CliEnv& env) {
  auto store = OpenStore(env);
  if (!store.ok()) return Fail(store.status(), kExitBadInput);
  auto entries = (*store)->ListCache();
  if (!entries.ok()) return Fail(entries.status(), kExitFailed);
  PrintEntries(*entries);
  return kExitOk;
}

int RunRemove(const CliEnv& env, const std::string& key) {
  auto store = OpenStore(env);
  if (!store.ok()) return Fail(store.status(), kExitBadInput);
  Status st = (*store)->RemoveCacheEntry(key);
  if (!st.ok()) return Fail(st, st.code() == StatusCode::kNotFound ? kExitBadInput : kExitFailed);
  std::cout << "removed " << key << "\n";
  return kExitOk;
}

int RunPrune(const CliEnv& env, std::optional<uint64_t> max_size, const std::string& older_than) {
  if (!max_size && older_than.empty()) {
    return Fail(InvalidArgument("cache prune: give --max-size, --older-than or both"),
                kExitBadInput);
  }
  int64_t before = 0;
  if (!older_than.empty()) {
    auto d = idl::ParseLiteral(older_than, idl::types::Duration());
    if (!d.ok() || d->scalar().primitive().duration().seconds() < 0) {
      return Fail(
          InvalidArgument("--older-than " + older_than + ": not a duration (e.g. 90s, 12h, 7d)"),
          kExitBadInput);
    }
    const auto& dur = d->scalar().primitive().duration();
    before = NowNs() - (dur.seconds() * 1'000'000'000 + dur.nanos());
  }
  auto store = OpenStore(env);
  if (!store.ok()) return Fail(store.status(), kExitBadInput);
  auto evicted =
      (*store)->PruneCache(before, max_size ? static_cast<int64_t>(*max_size) : int64_t{-1});
  if (!evicted.ok()) return Fail(evicted.status(), kExitFailed);
  int64_t bytes = 0;
  for (const auto& e : *evicted) bytes += e.size_bytes;
  std::cout << "evicted " << evicted->size() << " entries (" << bytes << " bytes)\n";
  return kExitOk;
}

}  // namespace

void RegisterCache(CLI::App& app, CliEnv* env, int* exit_code) {
  auto* cache = app.add_subcommand("cache", "Cached task outputs: list and evict");
  cache->require_subcommand(1);
  auto* ls = cache->add_subcommand("ls", "List entries, most recently used first");
  ls->callback([env, exit_code] { *exit_code = RunList(*env); });

  auto key = std::make_shared<std::string>();
  auto* rm = cache->add_subcommand("rm", "Remove one entry");
  rm->add_option("KEY", *key, "The entry's key, as cache ls prints it")->required();
  rm->callback([env, key, exit_code] { *exit_code = RunRemove(*env, *key); });

  struct PruneArgs {
    uint64_t max_size = 0;
    std::string older_than;
  };
  auto pa = std::make_shared<PruneArgs>();
  auto* prune = cache->add_subcommand("prune", "Evict old entries, then the least recently used");
  auto* size_opt = prune
                       ->add_option("--max-size", pa->max_size,
                                    "Keep at most this much (e.g. 500M, 10G; 1K = 1024 bytes)")
                       ->transform(CLI::AsSizeValue(false));
  prune->add_option("--older-than", pa->older_than,
                    "Evict entries not used for this long (e.g. 7d, 12h)");
  prune->callback([env, pa, size_opt, exit_code] {
    *exit_code =
        RunPrune(*env, size_opt->count() > 0 ? std::optional<uint64_t>(pa->max_size) : std::nullopt,
                 pa->older_than);
  });
}

}  // namespace flytecpp::cli
