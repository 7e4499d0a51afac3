#include "notifier.h"

#include <curl/curl.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "flytecpp/idl/phases.h"
#include "flytecpp/util/text.h"
#include "flyteidl/admin/notification.pb.h"
#include "signing.h"

namespace flytecpp::admin {

namespace {

using google::protobuf::util::TimeUtil;

constexpr char kEmail[] = "email";
constexpr char kWebhook[] = "webhook";

// flyteadmin's emailer defaults (flyteadmin_config.yaml), links to this
// server's console.
constexpr char kSubject[] = "Notice: Execution \"{{ name }}\" has {{ phase }} in \"{{ domain }}\".";
constexpr char kBody[] =
    "Execution \"{{ name }}\" has {{ phase }} in \"{{ domain }}\". View details at "
    "<a href=\"{{ console_url }}\">{{ console_url }}</a>. {{ error }}";

std::string PhaseName(core::WorkflowExecution::Phase phase) {
  return core::WorkflowExecution::Phase_Name(phase);
}

std::string ExecutionUrl(const std::string& console, const core::WorkflowExecutionIdentifier& id) {
  return console + "/console/projects/" + PathEscape(id.project()) + "/domains/" +
         PathEscape(id.domain()) + "/executions/" + PathEscape(id.name());
}

// What flyteadmin's templates may name ({{ name }}, {{ launch_plan.name }},
// ...), and {{ console_url }}.
std::map<std::string, std::string> TemplateValues(const flyteadmin::Execution& e,
                                                  core::WorkflowExecution::Phase phase,
                                                  const std::string& console) {
  const auto& wf = e.closure().workflow_id();
  const auto& lp = e.spec().launch_plan();
  std::string error;
  if (e.closure().has_error()) {
    error = " The execution failed with error: [" + e.closure().error().message() + "].";
  }
  std::string lower = PhaseName(phase);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return {{"project", e.id().project()},
          {"domain", e.id().domain()},
          {"name", e.id().name()},
          {"phase", lower},
          {"error", error},
          {"workflow.project", wf.project()},
          {"workflow.domain", wf.domain()},
          {"workflow.name", wf.name()},
          {"workflow.version", wf.version()},
          {"launch_plan.project", lp.project()},
          {"launch_plan.domain", lp.domain()},
          {"launch_plan.name", lp.name()},
          {"launch_plan.version", lp.version()},
          {"console_url", ExecutionUrl(console, e.id())}};
}

// `text` with each "{{ key }}" (or "{{key}}") replaced, as flyteadmin does.
std::string Substitute(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    for (const std::string& pattern : {"{{ " + key + " }}", "{{" + key + "}}"}) {
      for (size_t at = text.find(pattern); at != std::string::npos;
           at = text.find(pattern, at + value.size())) {
        text.replace(at, pattern.size(), value);
      }
    }
  }
  return text;
}

// The recipients of a notification: Email, Slack and PagerDuty alike (as
// flyteadmin: all of them are emails).
std::vector<std::string> Recipients(const flyteadmin::Notification& n) {
  const auto& list = n.has_email()   ? n.email().recipients_email()
                     : n.has_slack() ? n.slack().recipients_email()
                                     : n.pager_duty().recipients_email();
  return {list.begin(), list.end()};
}

bool Listed(const std::vector<std::string>& list, const std::string& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

std::string WebhookBody(const flyteadmin::Execution& e, core::WorkflowExecution::Phase phase,
                        const std::string& console) {
  google::protobuf::Struct body;
  auto& f = *body.mutable_fields();
  auto id = [](google::protobuf::Value& v,
               std::initializer_list<std::pair<const char*, std::string>> parts) {
    auto& m = *v.mutable_struct_value()->mutable_fields();
    for (const auto& [k, s] : parts) m[k].set_string_value(s);
  };
  id(f["execution"],
     {{"project", e.id().project()}, {"domain", e.id().domain()}, {"name", e.id().name()}});
  const auto& lp = e.spec().launch_plan();
  id(f["launch_plan"], {{"project", lp.project()},
                        {"domain", lp.domain()},
                        {"name", lp.name()},
                        {"version", lp.version()}});
  const auto& wf = e.closure().workflow_id();
  id(f["workflow"], {{"project", wf.project()},
                     {"domain", wf.domain()},
                     {"name", wf.name()},
                     {"version", wf.version()}});
  f["phase"].set_string_value(PhaseName(phase));
  if (e.closure().has_error()) {
    const auto& err = e.closure().error();
    id(f["error"], {{"code", err.code()},
                    {"message", err.message()},
                    {"kind", core::ExecutionError::ErrorKind_Name(err.kind())}});
  } else {
    f["error"].set_null_value(google::protobuf::NULL_VALUE);
  }
  f["console_url"].set_string_value(ExecutionUrl(console, e.id()));
  f["occurred_at"].set_string_value(TimeUtil::ToString(e.closure().updated_at()));
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(body, &out);
  return out;
}

// ---- Sending, with libcurl (SMTP and HTTP).

void CurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Curl {
  CURL* h = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  Curl() {
    CurlOnce();
    h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  }
  ~Curl() { curl_easy_cleanup(h); }
  Status Perform(const std::string& what) {
    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) return Status::Ok();
    return IoError(what + ": " + (error[0] != '\0' ? error : curl_easy_strerror(rc)));
  }
};

// "a@x,b@y": the To: header, and the target `notifications ls` shows.
std::string RecipientList(const flyteadmin::EmailMessage& m) {
  std::string to;
  for (const auto& r : m.recipients_email()) to += (to.empty() ? "" : ",") + r;
  return to;
}

// A header value on one line (a subject rendered from an error message).
std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\r', ' ');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

Status SendEmail(const runtime::SmtpSettings& smtp, const std::string& password,
                 const flyteadmin::EmailMessage& m) {
  const std::string to = RecipientList(m);
  // As flyteadmin's SMTP emailer writes it.
  std::string message = "From: " + OneLine(m.sender_email()) + "\r\nTo: " + OneLine(to) +
                        "\r\nSubject: " + OneLine(m.subject_line()) +
                        "\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n" + m.body();
  struct Upload {
    const std::string* data;
    size_t at = 0;
  } upload{&message};
  Curl curl;
  const std::string url = (smtp.tls == "tls" ? "smtps://" : "smtp://") + smtp.server;
  curl_easy_setopt(curl.h, CURLOPT_URL, url.c_str());
  if (smtp.tls == "starttls") curl_easy_setopt(curl.h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
  const std::string from = "<" + m.sender_email() + ">";
  curl_easy_setopt(curl.h, CURLOPT_MAIL_FROM, from.c_str());
  curl_slist* rcpt = nullptr;
  for (const auto& r : m.recipients_email())
    rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
  curl_easy_setopt(curl.h, CURLOPT_MAIL_RCPT, rcpt);
  if (!smtp.username.empty()) {
    curl_easy_setopt(curl.h, CURLOPT_USERNAME, smtp.username.c_str());
    curl_easy_setopt(curl.h, CURLOPT_PASSWORD, password.c_str());
  }
  curl_easy_setopt(curl.h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl.h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(
      curl.h, CURLOPT_READFUNCTION, +[](char* buf, size_t size, size_t n, void* p) -> size_t {
        auto* u = static_cast<Upload*>(p);
        const size_t k = std::min(size * n, u->data->size() - u->at);
        std::copy_n(u->data->data() + u->at, k, buf);
        u->at += k;
        return k;
      });
  Status st = curl.Perform("SMTP " + smtp.server);
  curl_slist_free_all(rcpt);
  return st;
}

Status PostWebhook(const runtime::WebhookSettings& hook, const std::string& secret,
                   const std::string& body, int64_t delivery_id) {
  Curl curl;
  curl_easy_setopt(curl.h, CURLOPT_URL, hook.url.c_str());
  curl_easy_setopt(curl.h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers =
      curl_slist_append(headers, ("X-Flytecpp-Delivery: " + std::to_string(delivery_id)).c_str());
  if (!secret.empty()) {
    headers = curl_slist_append(
        headers, ("X-Flytecpp-Signature: sha256=" + HmacSha256Hex(secret, body)).c_str());
  }
  curl_easy_setopt(curl.h, CURLOPT_HTTPHEADER, headers);
  std::string answer;
  curl_easy_setopt(curl.h, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(
      curl.h, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* p) -> size_t {
        auto* out = static_cast<std::string*>(p);
        if (out->size() < 4096) out->append(data, std::min<size_t>(size * n, 4096 - out->size()));
        return size * n;
      });
  Status st = curl.Perform("webhook " + hook.name);
  curl_slist_free_all(headers);
  if (!st.ok()) return st;
  long code = 0;
  curl_easy_getinfo(curl.h, CURLINFO_RESPONSE_CODE, &code);
  if (code < 200 || code >= 300) {
    const std::string first = answer.substr(0, answer.find('\n'));
    return IoError("webhook " + hook.name + ": HTTP " + std::to_string(code) +
                   (first.empty() ? "" : ": " + first.substr(0, 200)));
  }
  return Status::Ok();
}

// A secret named GROUP/KEY, from the secret store.
Result<std::string> SecretValue(const runtime::SecretStore* secrets, const std::string& name,
                                const std::string& what) {
  const size_t slash = name.find('/');
  FLYTECPP_ASSIGN_OR_RETURN(
      std::optional<std::string> value,
      runtime::LookUpSecret(secrets, name.substr(0, slash), name.substr(slash + 1)));
  if (!value) {
    return FailedPrecondition(what + ": secret " + name + " is not set (flytecpp secrets set " +
                              name.substr(0, slash) + " " + name.substr(slash + 1) + ")");
  }
  return *value;
}

}  // namespace

std::vector<store::Delivery> DeliveriesFor(const flyteadmin::Execution& e,
                                           core::WorkflowExecution::Phase phase,
                                           const runtime::NotificationSettings& settings,
                                           const std::string& console) {
  std::vector<store::Delivery> out;
  const auto values = TemplateValues(e, phase, console);
  auto add = [&](const char* channel, std::string target, std::string payload) {
    store::Delivery d;
    d.execution_id = e.id().name();
    d.phase = phase;
    d.channel = channel;
    d.target = std::move(target);
    d.payload = std::move(payload);
    out.push_back(std::move(d));
  };
  // The execution's own notifications: its spec's, else its launch plan's
  // (Executions::Create writes them into the spec).
  for (const auto& n : e.spec().notifications().notifications()) {
    if (std::find(n.phases().begin(), n.phases().end(), phase) == n.phases().end()) continue;
    if (!n.has_email() && !n.has_slack() && !n.has_pager_duty()) continue;
    flyteadmin::EmailMessage m;
    for (const auto& r : Recipients(n)) m.add_recipients_email(r);
    if (m.recipients_email().empty()) continue;
    m.set_sender_email(settings.smtp ? settings.smtp->sender : "");
    m.set_subject_line(Substitute(settings.subject.empty() ? kSubject : settings.subject, values));
    const std::string& custom = n.has_email() ? n.email().template_() : std::string();
    m.set_body(Substitute(!custom.empty()          ? custom
                          : !settings.body.empty() ? settings.body
                                                   : std::string(kBody),
                          values));
    add(kEmail, RecipientList(m), m.SerializeAsString());
  }
  // The server's webhooks.
  const std::string phase_name = PhaseName(phase);
  for (const auto& hook : settings.webhooks) {
    const bool phase_wanted =
        hook.phases.empty() ? idl::IsTerminal(phase) : Listed(hook.phases, phase_name);
    if (!phase_wanted || !Listed(hook.projects, e.id().project()) ||
        !Listed(hook.launch_plans, e.spec().launch_plan().name())) {
      continue;
    }
    add(kWebhook, hook.name, WebhookBody(e, phase, console));
  }
  return out;
}

Notifier::Notifier(Executions& executions, std::unique_ptr<store::Store> store,
                   NotifierOptions options)
    : executions_(executions), store_(std::move(store)), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = SystemClock::Default();
}

Notifier::~Notifier() { Stop(); }

void Notifier::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

std::string Notifier::ConsoleUrl() const {
  std::string url =
      options_.settings.console_url.empty() ? options_.console_url : options_.settings.console_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Status Notifier::Expand(const store::Notice& notice) {
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord record,
                            store_->GetExecution(notice.execution_id));
  core::WorkflowExecutionIdentifier id;
  id.set_project(record.project);
  id.set_domain(record.domain);
  id.set_name(record.id);
  FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::Execution execution, executions_.Get(id));
  const auto deliveries =
      DeliveriesFor(execution, static_cast<core::WorkflowExecution::Phase>(notice.phase),
                    options_.settings, ConsoleUrl());
  return store_->ExpandNotice(notice, deliveries, options_.clock->Now());
}

Status Notifier::Send(const store::Delivery& d) {
  if (d.channel == kEmail) {
    const auto& smtp = options_.settings.smtp;
    if (!smtp) {
      return FailedPrecondition("no SMTP server is configured (notifications.smtp in config.yaml)");
    }
    std::string password;
    if (!smtp->password_secret.empty()) {
      FLYTECPP_ASSIGN_OR_RETURN(password,
                                SecretValue(options_.secrets, smtp->password_secret, "SMTP"));
    }
    flyteadmin::EmailMessage m;
    if (!m.ParseFromString(d.payload))
      return Internal("delivery " + std::to_string(d.id) + ": bad payload");
    // Expanded before an SMTP server was configured: from its sender now.
    if (m.sender_email().empty()) m.set_sender_email(smtp->sender);
    return SendEmail(*smtp, password, m);
  }
  for (const auto& hook : options_.settings.webhooks) {
    if (hook.name != d.target) continue;
    std::string secret;
    if (!hook.secret.empty()) {
      FLYTECPP_ASSIGN_OR_RETURN(secret,
                                SecretValue(options_.secrets, hook.secret, "webhook " + hook.name));
    }
    return PostWebhook(hook, secret, d.payload, d.id);
  }
  return FailedPrecondition("webhook " + d.target + " is no longer configured");
}

Status Notifier::Tick() {
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::Notice> notices, store_->PendingNotices(100));
  for (const auto& notice : notices) {
    Status st = Expand(notice);
    // Tried again at the next pass (the execution is read back, not lost).
    if (!st.ok()) Log("notice of " + notice.execution_id + ": " + st.ToString());
  }
  const int64_t now = options_.clock->Now();
  const int64_t claim =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.claim).count();
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::Delivery> due,
                            store_->ClaimDeliveries(options_.owner, now, now + claim, 50));
  for (auto& d : due) {
    Status sent = Send(d);
    ++d.attempts;
    if (sent.ok()) {
      d.state = store::Delivery::kDelivered;
      d.last_error.clear();
    } else {
      d.last_error = sent.ToString();
      if (d.attempts >= options_.max_attempts) {
        d.state = store::Delivery::kFailed;
        Log("notification " + std::to_string(d.id) + " (" + d.channel + " " + d.target +
            ") failed for good after " + std::to_string(d.attempts) + " attempts: " + d.last_error);
      } else {
        // Doubling back-off: first_retry, 2×, 4×, ... up to max_retry.
        auto wait = options_.first_retry;
        for (int i = 1; i < d.attempts && wait < options_.max_retry; ++i) wait *= 2;
        wait = std::min(wait, options_.max_retry);
        d.next_ns = options_.clock->Now() +
                    std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
      }
    }
    FLYTECPP_RETURN_IF_ERROR(store_->UpdateDelivery(d, options_.clock->Now()));
  }
  return Status::Ok();
}

void Notifier::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      woken_ = false;
      lock.unlock();
      Status st = Tick();
      if (!st.ok()) Log("notifier: " + st.ToString());
      const int64_t due =
          options_.clock->Now() +
          std::chrono::duration_cast<std::chrono::nanoseconds>(options_.poll).count();
      lock.lock();
      while (!stopping_ && !woken_ && options_.clock->Now() < due) {
        options_.clock->WaitUntil(wake_, lock, due);
      }
    }
  });
}

void Notifier::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void Notifier::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace flytecpp::admin
