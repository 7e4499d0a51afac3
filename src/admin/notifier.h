// The notifier of `flytecpp serve`: tells of executions that end.
//
// When an execution created through the API reaches a terminal phase, the
// engine writes a notice in the transaction that records the phase
// (store.h: Notice). The notifier expands each notice once into deliveries,
// durably (in one transaction):
//   - the execution's notifications (its spec's, else its launch plan's,
//     unless disable_all) whose phases include it: Email, Slack and
//     PagerDuty all become an email to their recipients, as flyteadmin
//     sends them, rendered from flyteadmin's subject and body templates;
//   - the server's webhooks (config.yaml `notifications.webhooks`) that
//     match its phase, project and launch plan: an HTTP POST of a JSON body
//     naming the execution, phase, error and console URL, signed with
//     HMAC-SHA256 when the webhook names a secret.
// Then it sends what is due: at least once, retried with doubling back-off
// across restarts until delivered, or failed after max_attempts (each
// failure's reason kept: `flytecpp notifications ls`). Servers sharing a
// store share the work by claims that run out.
//
// Thread-safety: Tick is for one thread at a time (the notifier's own after
// Start); Wake from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "executions.h"
#include "flytecpp/runtime/config.h"
#include "flytecpp/runtime/secrets.h"
#include "flytecpp/store/store.h"
#include "flytecpp/util/clock.h"

namespace flytecpp::admin {

struct NotifierOptions {
  std::string owner;             // this notifier's name in claims (required)
  const Clock* clock = nullptr;  // default: the system clock
  runtime::NotificationSettings settings;
  const runtime::SecretStore* secrets = nullptr;  // the SMTP password, webhooks' secrets
  std::string console_url;  // the server's HTTP address; settings.console_url wins
  std::chrono::milliseconds first_retry{1000};                    // doubled after each failure,
  std::chrono::milliseconds max_retry{std::chrono::minutes(10)};  // up to this
  int max_attempts = 16;  // then the delivery has failed for good
  std::chrono::milliseconds claim{std::chrono::minutes(2)};  // a send's time, at most
  std::chrono::milliseconds poll{1000};  // how often the thread looks without a Wake
  // Where failures are told (one line each); null: nowhere.
  std::function<void(const std::string&)> log;
};

// The deliveries an execution ending in `phase` becomes (ids, state and
// times are the store's). `console_url`: where links point.
std::vector<store::Delivery> DeliveriesFor(const flyteidl::admin::Execution& execution,
                                           flyteidl::core::WorkflowExecution::Phase phase,
                                           const runtime::NotificationSettings& settings,
                                           const std::string& console_url);

class Notifier {
 public:
  // `store`: the notifier's own.
  Notifier(Executions& executions, std::unique_ptr<store::Store> store, NotifierOptions options);
  ~Notifier();  // Stop()

  // One pass: expands the notices written since the last, then sends every
  // delivery due by the clock.
  Status Tick();

  // Passes on a thread of its own, every `poll` or when woken, until Stop.
  void Start();
  void Stop();
  // An execution ended: look now.
  void Wake();

 private:
  Status Expand(const store::Notice& notice);
  // Sends `d`; an error says why it was not delivered.
  Status Send(const store::Delivery& d);
  std::string ConsoleUrl() const;
  void Log(const std::string& line) const;

  Executions& executions_;
  std::unique_ptr<store::Store> store_;
  NotifierOptions options_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  bool woken_ = false;     // guarded by mu_
  std::thread thread_;
};

}  // namespace flytecpp::admin
