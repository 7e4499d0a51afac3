// The notifier (src/admin/notifier.h) over a real store, registry and
// engine, on the fake clock, sending to a real HTTP listener on loopback
// (an SMTP server that is not there makes emails fail). The SMTP sink and
// a real server are tests/python/notifications_test.sh.
#include "notifier.h"

#include <httplib.h>

#include <atomic>
#include <thread>

#include "admin_loops_fixture.h"
#include "flyteidl/admin/notification.pb.h"
#include "signing.h"

namespace flytecpp::admin {
namespace {

using namespace flytecpp::admin::testing;
using google::protobuf::util::TimeUtil;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A webhook receiver on loopback: records each POST, and answers 500 to
// the first `fail_first` of them.
class Receiver {
 public:
  explicit Receiver(int fail_first) : fail_first_(fail_first) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
      res.status = static_cast<int>(requests_.size()) <= fail_first_ ? 500 : 200;
      res.set_content(res.status == 500 ? "refused on purpose" : "ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<httplib::Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  int fail_first_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<httplib::Request> requests_;
};

class NotifierTest : public AdminLoopsTest {
 protected:
  // A launch plan "alerting" whose notifications are an email on FAILED and
  // a Slack message on FAILED and SUCCEEDED.
  Result<core::Identifier> RegisterAlerting(Registry& registry) {
    return Register(registry, "alerting", "v1", [](flyteidl::admin::LaunchPlanSpec* spec) {
      auto* n = spec->mutable_entity_metadata()->add_notifications();
      n->add_phases(core::WorkflowExecution::FAILED);
      n->mutable_email()->add_recipients_email("ops@example.com");
      auto* slack = spec->mutable_entity_metadata()->add_notifications();
      slack->add_phases(core::WorkflowExecution::FAILED);
      slack->add_phases(core::WorkflowExecution::SUCCEEDED);
      slack->mutable_slack()->add_recipients_email("team@example.slack.com");
    });
  }

  // Runs launch plan `lp` with t at `t_seconds` (negative: it fails) to its
  // end, under `name`; `edit` may change the request first.
  void Run(Server& s, const core::Identifier& lp, const std::string& name, int64_t t_seconds,
           const std::function<void(flyteidl::admin::ExecutionCreateRequest*)>& edit = {}) {
    flyteidl::admin::ExecutionCreateRequest request;
    request.set_project("p");
    request.set_domain("development");
    request.set_name(name);
    *request.mutable_spec()->mutable_launch_plan() = lp;
    (*request.mutable_inputs()->mutable_literals())["t"] =
        lit::Datetime(TimePoint(std::chrono::seconds(t_seconds)));
    if (edit) edit(&request);
    auto created = s.executions->Create(request);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    auto result = s.engine->Wait(name);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

  std::unique_ptr<Notifier> MakeNotifier(Server& s, const std::string& owner,
                                         runtime::NotificationSettings settings,
                                         int max_attempts = 16) {
    NotifierOptions options;
    options.owner = owner;
    options.clock = &clock_;
    options.settings = std::move(settings);
    options.secrets = &secrets_;
    options.console_url = "http://console.example:8088";
    options.max_attempts = max_attempts;
    std::vector<std::string>* log = &s.log;
    options.log = [log](const std::string& line) { log->push_back(line); };
    return std::make_unique<Notifier>(*s.executions, Open(), std::move(options));
  }

  std::map<std::string, store::Delivery> ByTarget() {
    std::map<std::string, store::Delivery> out;
    auto all = Open()->ListDeliveries();
    EXPECT_TRUE(all.ok());
    for (auto& d : *all) out[d.channel + ":" + d.target + ":" + d.execution_id] = d;
    return out;
  }

  static runtime::SmtpSettings NoSmtpServer() {
    runtime::SmtpSettings smtp;
    smtp.server = "127.0.0.1:1";  // nothing listens there
    smtp.sender = "flyte@example.com";
    return smtp;
  }

  runtime::SecretStore secrets_{dir_.path() / "secrets"};
};

INSTANTIATE_TEST_SUITE_P(, NotifierTest, ::testing::Values(Database::kSqlite, Database::kPostgres),
                         DatabaseName);

TEST(DeliveriesForTest, FollowsTheNotificationsPhasesAndTheWebhooksFilters) {
  flyteadmin::Execution e;
  e.mutable_id()->set_project("p");
  e.mutable_id()->set_domain("development");
  e.mutable_id()->set_name("e1");
  e.mutable_spec()->mutable_launch_plan()->set_name("nightly");
  e.mutable_closure()->mutable_workflow_id()->set_name("wf");
  e.mutable_closure()->mutable_error()->set_message("boom");
  auto* ns = e.mutable_spec()->mutable_notifications();
  auto* email = ns->add_notifications();
  email->add_phases(core::WorkflowExecution::FAILED);
  email->mutable_email()->add_recipients_email("a@example.com");
  email->mutable_email()->add_recipients_email("b@example.com");
  auto* pager = ns->add_notifications();
  pager->add_phases(core::WorkflowExecution::SUCCEEDED);
  pager->mutable_pager_duty()->add_recipients_email("pager@example.com");
  auto* custom = ns->add_notifications();
  custom->add_phases(core::WorkflowExecution::FAILED);
  custom->mutable_email()->add_recipients_email("c@example.com");
  custom->mutable_email()->set_template_("{{project}}/{{ launch_plan.name }}: {{ phase }}");

  runtime::NotificationSettings settings;
  settings.smtp = runtime::SmtpSettings{"mail:25", "flyte@example.com", "", "", "none"};
  settings.webhooks.push_back({"all", "http://h/all", {}, {}, {}, ""});
  settings.webhooks.push_back({"failures", "http://h/f", {"FAILED"}, {"p"}, {"nightly"}, ""});
  settings.webhooks.push_back({"elsewhere", "http://h/e", {}, {"other"}, {}, ""});
  settings.webhooks.push_back({"other-lp", "http://h/o", {}, {}, {"daily"}, ""});

  auto failed = DeliveriesFor(e, core::WorkflowExecution::FAILED, settings, "http://c:1");
  std::vector<std::string> got;
  for (const auto& d : failed) got.push_back(d.channel + ":" + d.target);
  EXPECT_EQ(got,
            (std::vector<std::string>{"email:a@example.com,b@example.com", "email:c@example.com",
                                      "webhook:all", "webhook:failures"}));
  flyteadmin::EmailMessage m;
  ASSERT_TRUE(m.ParseFromString(failed[0].payload));
  EXPECT_EQ(m.sender_email(), "flyte@example.com");
  EXPECT_EQ(m.subject_line(), "Notice: Execution \"e1\" has failed in \"development\".");
  EXPECT_NE(m.body().find("http://c:1/console/projects/p/domains/development/executions/e1"),
            std::string::npos)
      << m.body();
  EXPECT_NE(m.body().find("The execution failed with error: [boom]."), std::string::npos);
  ASSERT_TRUE(m.ParseFromString(failed[1].payload));
  EXPECT_EQ(m.body(), "p/nightly: failed");  // the notification's own template

  auto succeeded = DeliveriesFor(e, core::WorkflowExecution::SUCCEEDED, settings, "http://c:1");
  got.clear();
  for (const auto& d : succeeded) got.push_back(d.channel + ":" + d.target);
  EXPECT_EQ(got, (std::vector<std::string>{"email:pager@example.com", "webhook:all"}));
  // Not an end: nobody is told (flytekit allows only terminal phases).
  EXPECT_TRUE(DeliveriesFor(e, core::WorkflowExecution::RUNNING, settings, "x").empty());
}

TEST_P(NotifierTest, TheEndOfAnExecutionIsANoticeInTheSameCommit) {
  Server& s = StartServer("a");
  auto lp = RegisterAlerting(*s.registry);
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  Run(s, *lp, "fails", -5);
  Run(s, *lp, "works", 5);
  // Nothing of an execution made outside the API (no project): no notice.
  auto local = s.engine->Run({.closure = Open()->GetExecution("works")->closure,
                              .inputs = *Open()->GetExecution("works")->inputs,
                              .execution_id = "local"});
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  auto notices = Open()->PendingNotices(10);
  ASSERT_TRUE(notices.ok());
  std::map<std::string, int> phases;
  for (const auto& n : *notices) phases[n.execution_id] = n.phase;
  EXPECT_EQ(phases, (std::map<std::string, int>{{"fails", core::WorkflowExecution::FAILED},
                                                {"works", core::WorkflowExecution::SUCCEEDED}}));
}

TEST_P(NotifierTest, AWebhookThatFailsIsRetriedWithBackOffUntilItIsDelivered) {
  Server& s = StartServer("a");
  auto lp = RegisterAlerting(*s.registry);
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  ASSERT_TRUE(secrets_.Set("hooks", "ops", "the-key").ok());
  Receiver receiver(/*fail_first=*/2);
  runtime::NotificationSettings settings;
  settings.smtp = NoSmtpServer();
  settings.webhooks.push_back({"ops", receiver.url(), {"FAILED"}, {}, {}, "hooks/ops"});
  s.notifier = MakeNotifier(s, "a", settings, /*max_attempts=*/3);
  Run(s, *lp, "fails", -5);

  ASSERT_TRUE(s.notifier->Tick().ok());  // expanded; every delivery's first try
  auto d = ByTarget();
  ASSERT_EQ(d.size(), 3u) << "an email, a Slack message (an email) and the webhook";
  const auto& hook = d.at("webhook:ops:fails");
  EXPECT_EQ(hook.state, store::Delivery::kPending);
  EXPECT_EQ(hook.attempts, 1);
  EXPECT_NE(hook.last_error.find("HTTP 500: refused on purpose"), std::string::npos)
      << hook.last_error;
  EXPECT_EQ(hook.next_ns, clock_.Now() + kSecond);  // the first retry: after a second
  // Not due yet: not tried.
  clock_.Advance(milliseconds(999));
  ASSERT_TRUE(s.notifier->Tick().ok());
  EXPECT_EQ(receiver.requests().size(), 1u);
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(s.notifier->Tick().ok());  // second try: 500 again; the next in 2 s
  EXPECT_EQ(ByTarget().at("webhook:ops:fails").next_ns, clock_.Now() + 2 * kSecond);
  clock_.Advance(seconds(2));
  ASSERT_TRUE(s.notifier->Tick().ok());  // third: delivered
  auto after = ByTarget();
  EXPECT_EQ(after.at("webhook:ops:fails").state, store::Delivery::kDelivered);
  EXPECT_EQ(after.at("webhook:ops:fails").attempts, 3);
  EXPECT_EQ(after.at("webhook:ops:fails").last_error, "");
  // The emails have no SMTP server: failed for good after three tries.
  for (const auto& key : {"email:ops@example.com:fails", "email:team@example.slack.com:fails"}) {
    EXPECT_EQ(after.at(key).state, store::Delivery::kFailed) << key;
    EXPECT_EQ(after.at(key).attempts, 3) << key;
    EXPECT_NE(after.at(key).last_error.find("SMTP 127.0.0.1:1"), std::string::npos)
        << after.at(key).last_error;
  }
  clock_.Advance(seconds(60));
  ASSERT_TRUE(s.notifier->Tick().ok());
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u) << "nothing is sent again once delivered";
  // Each try was the same delivery, signed with the webhook's secret.
  for (const auto& r : requests) {
    EXPECT_EQ(r.get_header_value("X-Flytecpp-Delivery"), std::to_string(hook.id));
    EXPECT_EQ(r.get_header_value("X-Flytecpp-Signature"),
              "sha256=" + HmacSha256Hex("the-key", r.body));
    EXPECT_EQ(r.get_header_value("Content-Type"), "application/json");
  }
  EXPECT_NE(requests[0].body.find("\"phase\":\"FAILED\""), std::string::npos) << requests[0].body;
  EXPECT_NE(requests[0].body.find("a time before 1970"), std::string::npos) << requests[0].body;
  for (const auto& line : s.log) EXPECT_EQ(line.find("the-key"), std::string::npos) << line;
}

TEST_P(NotifierTest, AnExecutionsOwnNotificationsOrDisableAllWinOverItsLaunchPlans) {
  Server& s = StartServer("a");
  auto lp = RegisterAlerting(*s.registry);
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  s.notifier = MakeNotifier(s, "a", {});
  Run(s, *lp, "own", -1, [](flyteidl::admin::ExecutionCreateRequest* r) {
    auto* n = r->mutable_spec()->mutable_notifications()->add_notifications();
    n->add_phases(core::WorkflowExecution::FAILED);
    n->mutable_email()->add_recipients_email("me@example.com");
  });
  Run(s, *lp, "quiet", -1,
      [](flyteidl::admin::ExecutionCreateRequest* r) { r->mutable_spec()->set_disable_all(true); });
  Run(s, *lp, "works", 1);
  ASSERT_TRUE(s.notifier->Tick().ok());
  std::set<std::string> keys;
  for (const auto& [key, d] : ByTarget()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"email:me@example.com:own",
                                         "email:team@example.slack.com:works"}));
  // Emails without an SMTP server say so.
  EXPECT_NE(ByTarget().at("email:me@example.com:own").last_error.find("notifications.smtp"),
            std::string::npos);
}

TEST_P(NotifierTest, TwoServersExpandANoticeOnceAndSendEachDeliveryOnce) {
  Server& a = StartServer("a");
  Server& b = StartServer("b");
  auto lp = RegisterAlerting(*a.registry);
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  Receiver receiver(/*fail_first=*/0);
  runtime::NotificationSettings settings;
  settings.webhooks.push_back({"all", receiver.url(), {}, {}, {}, ""});
  a.notifier = MakeNotifier(a, "a", settings);
  b.notifier = MakeNotifier(b, "b", settings);
  for (int i = 0; i < 5; ++i) Run(a, *lp, "run" + std::to_string(i), i);
  std::thread ta([&] { ASSERT_TRUE(a.notifier->Tick().ok()); });
  std::thread tb([&] { ASSERT_TRUE(b.notifier->Tick().ok()); });
  ta.join();
  tb.join();
  clock_.Advance(seconds(1));
  ASSERT_TRUE(a.notifier->Tick().ok());
  ASSERT_TRUE(b.notifier->Tick().ok());
  int webhooks = 0;
  for (const auto& [key, d] : ByTarget()) {
    if (d.channel != "webhook") continue;
    ++webhooks;
    EXPECT_EQ(d.state, store::Delivery::kDelivered) << key;
    EXPECT_EQ(d.attempts, 1) << key;
  }
  EXPECT_EQ(webhooks, 5);
  EXPECT_EQ(receiver.requests().size(), 5u);
}

}  // namespace
}  // namespace flytecpp::admin
