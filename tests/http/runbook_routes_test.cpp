// The runbook endpoints over real HTTP, against an in-process Vigil whose runbook repository is a
// temp dir: reload (all or nothing), list, search, validate, execute (dry run and real), and
// enable/disable.

#include <filesystem>
#include <gtest/gtest.h>
#include <set>

#include "tests/http/operator_fixture.hpp"
#include "tests/support/process.hpp"

namespace vigil {
namespace {

using test::is_error;
using test::json_answer;

const std::string memory_runbook = R"(name: high-memory
description: Inspect memory on the alerting host
category: remediation
triggers:
  - type: alert
    labels: {alertname: HighMemoryUsage}
steps:
  - {name: look, action: log, message: "memory on {{ labels.instance }}"}
)";

const std::string disk_runbook = R"(name: disk-cleanup
description: Free space when a volume fills up
category: remediation
triggers:
  - type: alert
    labels: {alertname: DiskFull}
    match: {mountpoint: {in: [/var, /srv]}}
steps:
  - {name: clean, action: log, message: "cleaning {{ labels.instance }}"}
)";

/// Touches the file named by its parameter: proof that a real run happened.
const std::string marker_runbook = R"(name: touch-marker
description: Creates a marker file
category: maintenance
parameters:
  file: ""
steps:
  - name: touch
    action: exec
    command: ["touch", "{{ params.file }}"]
    timeout: 30s
)";

class runbook_routes_test : public test::operator_fixture {
protected:
  void SetUp() override {
    write_runbook("note.yaml", test::log_runbook("note", "Note", "test", "logs a line"));
    write_runbook("remediation/memory.yaml", memory_runbook);
    write_runbook("remediation/disk.yaml", disk_runbook);
    write_runbook("maintenance/marker.yaml", marker_runbook);
  }

  /// Names of the runbooks `target` lists.
  std::set<std::string> names(const std::string& target) {
    auto j = get_json(target);
    auto list = j.texts("/runbooks", "name");
    EXPECT_EQ(j.integer("/count"), static_cast<int64_t>(list.size())) << target;
    return {list.begin(), list.end()};
  }

  /// POSTs `yaml` to /api/runbooks/validate as YAML.
  test::http_result validate_yaml(const std::string& yaml) {
    return post("/api/runbooks/validate", yaml, {}, "application/yaml");
  }
};

using names_t = std::set<std::string>;

// -- reload --------------------------------------------------------------------------------------

TEST_F(runbook_routes_test, auto_reload_picks_up_a_changed_file_and_keeps_the_set_on_errors) {
  config().runbooks.auto_reload = true;
  start();
  write_runbook("remediation/watched.yaml",
                test::log_runbook("watched", "WatchedAlert", "remediation", "seen by inotify"));
  EXPECT_TRUE(test::eventually([&] { return names("/api/runbooks").count("watched") == 1; }))
    << "a new file is loaded without being asked";
  // A broken file next to a changed one: the reload is rejected and the previous set stays.
  write_runbook("remediation/broken.yaml", "name: broken\nsteps: [\n");
  write_runbook("remediation/watched.yaml",
                test::log_runbook("watched-2", "WatchedAlert", "remediation"));
  EXPECT_TRUE(test::eventually([&] {
    return get("/metrics").body.find(R"(vigil_runbook_reloads_total{outcome="rejected"} 0)")
           == std::string::npos;
  }))
    << "the watcher tried the broken set";
  EXPECT_EQ(names("/api/runbooks").count("watched"), 1U);
  EXPECT_EQ(names("/api/runbooks").count("watched-2"), 0U);
  // Fixed: the next change goes through.
  std::filesystem::remove(std::filesystem::path{repo()} / "remediation/broken.yaml");
  EXPECT_TRUE(test::eventually([&] { return names("/api/runbooks").count("watched-2") == 1; }));
  EXPECT_EQ(names("/api/runbooks").count("watched"), 0U);
}

TEST_F(runbook_routes_test, reload_adds_new_runbooks_and_keeps_the_set_when_one_is_broken) {
  start();
  const names_t initial = {"note", "high-memory", "disk-cleanup", "touch-marker"};
  EXPECT_EQ(names("/api/runbooks"), initial);

  write_runbook("remediation/custom-fix.yaml",
                test::log_runbook("custom-fix", "CustomAlert", "remediation", "a custom fix"));
  auto ok = post("/api/admin/reload-runbooks", "");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json_answer{ok.body}.text("/status"), "ok");
  EXPECT_EQ(json_answer{ok.body}.integer("/runbooks"), 5);
  auto with_new = initial;
  with_new.insert("custom-fix");
  EXPECT_EQ(names("/api/runbooks"), with_new);
  // The new one is live: its alert starts a run.
  ASSERT_EQ(post("/api/events", test::alert_json("CustomAlert", "web-9")).status, 202);
  EXPECT_TRUE(test::eventually([&] { return workflow_ids().size() == 1; }));

  // A broken file: the answer names it and the problem; the previous set stays.
  write_runbook("remediation/broken.yaml", "name: broken\nsteps: [\n  - {name: x, action: noop\n");
  write_runbook("remediation/custom-fix.yaml",
                test::log_runbook("custom-fix-renamed", "CustomAlert", "remediation"));
  auto bad = post("/api/admin/reload-runbooks", "{}");
  EXPECT_TRUE(is_error(bad, 422, "invalid_runbooks"));
  json_answer j{bad.body};
  EXPECT_EQ(j.text("/status"), "rejected");
  ASSERT_GE(j.size("/errors").value_or(0), 1U) << bad.body;
  EXPECT_NE(j.text("/errors/0/file").value_or("").find("broken.yaml"), std::string::npos)
    << bad.body;
  EXPECT_GT(j.integer("/errors/0/line").value_or(0), 0) << bad.body;
  EXPECT_FALSE(j.text("/errors/0/message").value_or("").empty()) << bad.body;
  EXPECT_NE(j.text("/message").value_or("").find("previous"), std::string::npos) << bad.body;
  EXPECT_NE(j.texts("/details", "field").at(0).find("broken.yaml"), std::string::npos) << bad.body;
  EXPECT_EQ(j.integer("/runbooks"), 5) << "still the five loaded before";
  EXPECT_EQ(names("/api/runbooks"), with_new) << "GET /api/runbooks is unchanged";

  // Fixed: the reload goes through, rename included.
  std::filesystem::remove(std::filesystem::path{repo()} / "remediation/broken.yaml");
  ASSERT_EQ(post("/api/admin/reload-runbooks", "").status, 200);
  EXPECT_EQ(names("/api/runbooks").count("custom-fix-renamed"), 1U);
  EXPECT_EQ(names("/api/runbooks").count("custom-fix"), 0U);
}

TEST_F(runbook_routes_test, reload_refuses_a_duplicate_name_and_a_missing_repository) {
  start();
  write_runbook("again/note.yaml", test::log_runbook("note", "Other"));
  auto dup = post("/api/admin/reload-runbooks", "");
  EXPECT_TRUE(is_error(dup, 422, "invalid_runbooks"));
  EXPECT_NE(dup.body.find("duplicate runbook name"), std::string::npos) << dup.body;
  EXPECT_EQ(names("/api/runbooks").size(), 4U);

  std::filesystem::remove_all(repo());
  auto gone = post("/api/admin/reload-runbooks", "");
  EXPECT_TRUE(is_error(gone, 422, "invalid_runbooks"));
  EXPECT_NE(gone.body.find("not a directory"), std::string::npos) << gone.body;
  EXPECT_EQ(names("/api/runbooks").size(), 4U) << "an empty set never replaces the loaded one";
}

// -- list and search
// -------------------------------------------------------------------------------

TEST_F(runbook_routes_test, list_filters_by_category) {
  start();
  EXPECT_EQ(names("/api/runbooks?category=remediation"), (names_t{"high-memory", "disk-cleanup"}));
  EXPECT_EQ(names("/api/runbooks?category=maintenance"), (names_t{"touch-marker"}));
  EXPECT_EQ(names("/api/runbooks?category=nothing"), names_t{});
  auto all = get_json("/api/runbooks");
  EXPECT_EQ(all.integer("/count"), 4);
  // Each entry says what it is.
  for (std::size_t i = 0; i < 4; ++i) {
    const auto at = "/runbooks/" + std::to_string(i);
    EXPECT_TRUE(all.text(at + "/path").has_value());
    EXPECT_EQ(all.boolean(at + "/enabled"), true);
    EXPECT_EQ(all.text(at + "/sha256").value_or("").size(), 64U);
  }
  auto memory = get_json("/api/runbooks?category=remediation");
  EXPECT_EQ(memory.text("/runbooks/0/path"), "remediation/disk.yaml");
  EXPECT_EQ(memory.text("/runbooks/0/triggers/0/labels/alertname"), "DiskFull");
  EXPECT_TRUE(
    is_error(get("/api/runbooks?categry=remediation"), 400, "invalid_parameter", "categry"));
}

TEST_F(runbook_routes_test, search_looks_at_names_descriptions_and_trigger_labels) {
  start();
  EXPECT_EQ(names("/api/runbooks/search?q=memory"), (names_t{"high-memory"})) << "name";
  EXPECT_EQ(names("/api/runbooks/search?q=volume"), (names_t{"disk-cleanup"})) << "description";
  EXPECT_EQ(names("/api/runbooks/search?q=HighMemoryUsage"), (names_t{"high-memory"}))
    << "trigger label";
  EXPECT_EQ(names("/api/runbooks/search?q=diskfull"), (names_t{"disk-cleanup"}))
    << "case-insensitive";
  EXPECT_EQ(names("/api/runbooks/search?q=%2Fsrv"), (names_t{"disk-cleanup"}))
    << "a value a trigger's match requires";
  EXPECT_EQ(names("/api/runbooks/search?q=marker+file"), (names_t{"touch-marker"}))
    << "'+' is a space";
  EXPECT_EQ(names("/api/runbooks/search?q=zzz-nothing"), names_t{});
  EXPECT_TRUE(is_error(get("/api/runbooks/search"), 400, "invalid_parameter", "q"));
  EXPECT_TRUE(is_error(get("/api/runbooks/search?q="), 400, "invalid_parameter", "q"));
  EXPECT_TRUE(is_error(get("/api/runbooks/search?q=x&limit=2"), 400, "invalid_parameter", "limit"));
}

// -- validate
// ---------------------------------------------------------------------------------------

TEST_F(runbook_routes_test, validate_a_file_of_the_repository) {
  start();
  auto ok = post("/api/runbooks/validate", R"({"runbook_path": "remediation/memory.yaml"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  json_answer j{ok.body};
  EXPECT_EQ(j.boolean("/valid"), true);
  EXPECT_EQ(j.text("/runbook"), "high-memory");
  EXPECT_EQ(j.integer("/steps"), 1);
  EXPECT_EQ(j.size("/errors"), 0U);

  // A file that is not loaded (it is broken) can be validated before a reload.
  write_runbook(
    "remediation/wip.yaml",
    "name: wip\nsteps:\n  - {name: a, action: teleport}\n  - {name: a, action: noop}\n");
  auto bad = post("/api/runbooks/validate", R"({"runbook_path": "remediation/wip.yaml"})");
  ASSERT_EQ(bad.status, 200) << bad.body;
  json_answer b{bad.body};
  EXPECT_EQ(b.boolean("/valid"), false);
  ASSERT_GE(b.size("/errors").value_or(0), 2U) << bad.body;
  EXPECT_EQ(b.integer("/errors/0/line"), 3) << bad.body;
  EXPECT_NE(bad.body.find("teleport"), std::string::npos) << bad.body;
  EXPECT_EQ(names("/api/runbooks").count("wip"), 0U) << "validating loads nothing";

  EXPECT_TRUE(is_error(post("/api/runbooks/validate", R"({"runbook_path": "missing.yaml"})"), 404,
                       "not_found"));
  for (const std::string path : {"../outside.yaml", "/etc/passwd", "remediation/../../x.yaml", ""})
    EXPECT_TRUE(is_error(post("/api/runbooks/validate", R"({"runbook_path": ")" + path + R"("})"),
                         400, "invalid_body", "runbook_path"))
      << path;
  EXPECT_TRUE(is_error(post("/api/runbooks/validate", "{}"), 400, "invalid_body", "runbook_path"));
  EXPECT_TRUE(is_error(post("/api/runbooks/validate", R"({"runbook_path": 3})"), 400,
                       "invalid_body", "runbook_path"));
  EXPECT_TRUE(is_error(post("/api/runbooks/validate", R"({"runbook": "note"})"), 400,
                       "invalid_body", "runbook"));
  EXPECT_TRUE(
    is_error(post("/api/runbooks/validate", R"({"runbook_path": "note.yaml", "yaml": "name: x"})"),
             400, "invalid_body", "yaml"));
}

TEST_F(runbook_routes_test, validate_inline_yaml) {
  start();
  auto ok = validate_yaml(disk_runbook);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json_answer{ok.body}.boolean("/valid"), true);
  EXPECT_EQ(json_answer{ok.body}.text("/runbook"), "disk-cleanup");

  auto bad = validate_yaml("name: x\ntriggers: [{type: sometimes}]\nsteps: []\n");
  ASSERT_EQ(bad.status, 200) << bad.body;
  json_answer b{bad.body};
  EXPECT_EQ(b.boolean("/valid"), false);
  ASSERT_GE(b.size("/errors").value_or(0), 1U);
  EXPECT_EQ(b.text("/errors/0/file"), "<inline>");
  EXPECT_EQ(b.integer("/errors/0/line"), 2) << bad.body;

  auto not_yaml = validate_yaml("name: [unclosed\n");
  ASSERT_EQ(not_yaml.status, 200) << not_yaml.body;
  EXPECT_EQ(json_answer{not_yaml.body}.boolean("/valid"), false);

  // The same text inside JSON.
  auto in_json =
    post("/api/runbooks/validate", R"({"yaml": "name: j\nsteps:\n  - {name: a, action: noop}\n"})");
  ASSERT_EQ(in_json.status, 200) << in_json.body;
  EXPECT_EQ(json_answer{in_json.body}.boolean("/valid"), true);
  EXPECT_EQ(json_answer{in_json.body}.text("/runbook"), "j");
  EXPECT_TRUE(is_error(post("/api/runbooks/validate", "name: x", {}, "text/plain"), 415,
                       "unsupported_media_type"));
  EXPECT_EQ(names("/api/runbooks").size(), 4U) << "validating loads nothing";
}

// -- hostile YAML (issue 12) ---------------------------------------------------------------------

/// A seed of tests/fuzz/regressions/runbook.
std::string runbook_seed(const std::string& name) {
  return test::read_file(test::source_dir() + "/tests/fuzz/regressions/runbook/" + name);
}

TEST_F(runbook_routes_test, validate_refuses_alias_cycles_and_bombs_and_keeps_serving) {
  start();
  const auto cycle = validate_yaml(runbook_seed("self-referencing-anchor--params.yaml"));
  ASSERT_EQ(cycle.status, 200) << cycle.body;
  json_answer c{cycle.body};
  EXPECT_EQ(c.boolean("/valid"), false);
  EXPECT_EQ(c.size("/errors"), 1U) << cycle.body;
  EXPECT_EQ(c.integer("/errors/0/line"), 7) << cycle.body;
  EXPECT_EQ(c.integer("/errors/0/column"), 23) << cycle.body;
  EXPECT_NE(c.text("/errors/0/message").value_or("").find("cycle"), std::string::npos)
    << cycle.body;

  const auto laughs = runbook_seed("billion-laughs--params.yaml");
  ASSERT_LT(laughs.size(), 1024U);
  const auto bomb = validate_yaml(laughs);
  ASSERT_EQ(bomb.status, 200) << bomb.body;
  EXPECT_NE(bomb.body.find("expands to more than 100000 nodes"), std::string::npos) << bomb.body;
  // The same texts inside JSON, and a NUL that JSON can carry.
  const auto in_json = post("/api/runbooks/validate",
                            R"({"yaml": "name: j\nsteps:\n  - {name: a\u0000b, action: noop}\n"})");
  ASSERT_EQ(in_json.status, 200) << in_json.body;
  EXPECT_EQ(json_answer{in_json.body}.boolean("/valid"), false) << in_json.body;
  EXPECT_NE(in_json.body.find("NUL"), std::string::npos) << in_json.body;
  // A body over 1 MiB of YAML is refused, not parsed.
  const auto big = validate_yaml("name: big\n# " + std::string(1 << 20, 'x') + "\n");
  ASSERT_EQ(big.status, 200) << big.body.substr(0, 300);
  EXPECT_NE(big.body.find("too large"), std::string::npos) << big.body.substr(0, 300);

  EXPECT_EQ(get("/api/health").status, 200) << "the server is still up";
  EXPECT_EQ(names("/api/runbooks").size(), 4U) << "validating loads nothing";
}

TEST_F(runbook_routes_test, hostile_runbooks_are_skipped_at_start_up_and_refused_on_reload) {
  for (const auto* seed : {"self-referencing-anchor--params.yaml", "billion-laughs--params.yaml",
                           "nul-byte--name.yaml", "invalid-utf8--name.yaml"})
    write_runbook(std::string{"hostile/"} + seed, runbook_seed(seed));
  start();
  const names_t initial = {"note", "high-memory", "disk-cleanup", "touch-marker"};
  EXPECT_EQ(names("/api/runbooks"), initial) << "the hostile files are not loaded";

  auto reload = post("/api/admin/reload-runbooks", "");
  EXPECT_TRUE(is_error(reload, 422, "invalid_runbooks")) << reload.body;
  for (const auto* says : {"cycle", "expands to more than", "NUL", "invalid UTF-8"})
    EXPECT_NE(reload.body.find(says), std::string::npos) << says << " in " << reload.body;
  EXPECT_EQ(names("/api/runbooks"), initial);
  EXPECT_EQ(get("/api/health").status, 200);
}

// -- execute
// -----------------------------------------------------------------------------------------

TEST_F(runbook_routes_test, dry_run_renders_the_plan_and_starts_nothing) {
  start();
  const auto marker = dir().file("marker");
  auto plan = post("/api/runbooks/execute", R"({"runbook": "touch-marker", "dry_run": true,
                                               "parameters": {"file": ")"
                                              + marker + R"("}})");
  ASSERT_EQ(plan.status, 200) << plan.body;
  json_answer j{plan.body};
  EXPECT_EQ(j.text("/runbook"), "touch-marker");
  EXPECT_EQ(j.text("/steps/0/name"), "touch");
  EXPECT_EQ(j.text("/steps/0/action"), "exec");
  EXPECT_EQ(j.text("/steps/0/command/1"), marker) << "the template rendered: " << plan.body;
  EXPECT_FALSE(j.has("/workflow_id"));
  EXPECT_TRUE(workflow_ids().empty());
  EXPECT_FALSE(std::filesystem::exists(marker));

  // By path too, as the operations runbook writes it.
  auto by_path =
    post("/api/runbooks/execute", R"({"runbook": "remediation/memory.yaml", "dry_run": true})");
  ASSERT_EQ(by_path.status, 200) << by_path.body;
  EXPECT_EQ(json_answer{by_path.body}.text("/runbook"), "high-memory");
  EXPECT_TRUE(workflow_ids().empty());
}

TEST_F(runbook_routes_test, execute_starts_a_run_the_workflow_api_shows) {
  start();
  const auto marker = dir().file("marker");
  auto started = post("/api/runbooks/execute", R"({"runbook": "touch-marker", "dry_run": false,
                                                  "parameters": {"file": ")"
                                                 + marker + R"("}})");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto id = json_answer{started.body}.text("/workflow_id").value_or("");
  ASSERT_FALSE(id.empty()) << started.body;
  EXPECT_EQ(json_answer{started.body}.text("/runbook"), "maintenance/marker.yaml");
  EXPECT_EQ(json_answer{started.body}.text("/runbook_name"), "touch-marker");
  EXPECT_TRUE(wait_for_workflow(id, "completed")) << get("/api/workflows/" + id).body;
  EXPECT_TRUE(std::filesystem::exists(marker)) << "the step ran";
  auto run = get_json("/api/workflows/" + id);
  EXPECT_EQ(run.text("/runbook"), "maintenance/marker.yaml") << "the file, as execute names it";
  EXPECT_EQ(run.text("/runbook_name"), "touch-marker");
  EXPECT_EQ(run.text("/parameters/file"), marker);
  EXPECT_EQ(run.text("/steps/0/status"), "succeeded");
  EXPECT_EQ(workflow_ids(), std::vector<std::string>{id});
}

// A runbook whose file changed and no longer validates: execute answers 422 naming file, line,
// column and problem; the list shows it stale; an alert still runs its last good version.
TEST_F(runbook_routes_test, execute_refuses_a_runbook_whose_file_is_broken_now) {
  start();
  write_runbook("remediation/memory.yaml",
                "name: high-memory\ntriggers:\n  - type: alert\n    labels: {alertname: "
                "HighMemoryUsage}\nsteps:\n  - {name: look, action: shell}\n");
  write_runbook("fresh.yaml", "name: fresh\nsteps: [\n");
  EXPECT_TRUE(is_error(post("/api/admin/reload-runbooks", ""), 422, "invalid_runbooks"));
  for (const auto* name : {"high-memory", "remediation/memory.yaml"}) {
    auto r = post("/api/runbooks/execute", std::string{R"({"runbook": ")"} + name + R"("})");
    EXPECT_TRUE(is_error(r, 422, "invalid_runbook")) << r.body;
    const auto message = json_answer{r.body}.text("/message").value_or("");
    EXPECT_EQ(
      message.rfind("Runbook validation failed: " + repo() + "/remediation/memory.yaml:6:", 0), 0U)
      << message;
    EXPECT_NE(message.find("steps[0].action"), std::string::npos) << message;
  }
  auto fresh = post("/api/runbooks/execute", R"({"runbook": "fresh.yaml"})");
  EXPECT_TRUE(is_error(fresh, 422, "invalid_runbook")) << fresh.body;
  auto list = get_json("/api/runbooks");
  EXPECT_EQ(list.texts("/rejected", "path"),
            (std::vector<std::string>{"fresh.yaml", "remediation/memory.yaml"}));
  bool marked = false;
  for (std::size_t i = 0; i < list.size("/runbooks").value_or(0); ++i) {
    const auto at = "/runbooks/" + std::to_string(i);
    if (list.text(at + "/name") == "high-memory") {
      marked =
        list.boolean(at + "/stale") == true
        && list.text(at + "/problem").value_or("").rfind("Runbook validation failed:", 0) == 0;
    } else {
      EXPECT_EQ(list.boolean(at + "/stale"), false) << list.text(at + "/name").value_or("");
    }
  }
  EXPECT_TRUE(marked) << get("/api/runbooks").body;
  // Triggered runs keep the last good version.
  ASSERT_EQ(post("/api/events", test::alert_json("HighMemoryUsage", "db-3")).status, 202);
  ASSERT_TRUE(test::eventually([&] { return workflow_ids().size() == 1; }));
  EXPECT_TRUE(wait_for_workflow(workflow_ids().front(), "completed"));
  // Fixed: executes again.
  write_runbook("remediation/memory.yaml", memory_runbook);
  std::filesystem::remove(std::filesystem::path{repo()} / "fresh.yaml");
  ASSERT_EQ(post("/api/admin/reload-runbooks", "").status, 200);
  EXPECT_EQ(post("/api/runbooks/execute", R"({"runbook": "high-memory"})").status, 202);
  EXPECT_EQ(get_json("/api/runbooks").size("/rejected"), 0U);
}

// A run by hand has no alert: its parameters are its labels too.
TEST_F(runbook_routes_test, a_run_by_hand_sees_its_parameters_as_labels) {
  write_runbook("remediation/memory.yaml", R"(name: high-memory
parameters: {instance: "", threshold: "90"}
steps:
  - {name: look, action: log, message: "memory on {{ labels.instance }} over {{ params.threshold }}"}
)");
  start();
  auto r = post("/api/runbooks/execute", R"({"runbook": "remediation/memory.yaml",
                                            "parameters": {"instance": "server-01", "threshold": 90}})");
  ASSERT_EQ(r.status, 202) << r.body;
  const auto id = json_answer{r.body}.text("/workflow_id").value_or("");
  ASSERT_TRUE(wait_for_workflow(id, "completed"));
  EXPECT_EQ(get_json("/api/workflows/" + id).text("/steps/0/output"),
            "memory on server-01 over 90");
}

TEST_F(runbook_routes_test, execute_rejects_what_it_cannot_run) {
  start();
  EXPECT_TRUE(
    is_error(post("/api/runbooks/execute", R"({"runbook": "no-such-runbook"})"), 404, "not_found"));
  EXPECT_TRUE(is_error(post("/api/runbooks/execute", R"({"runbook": "missing/path.yaml",
                                                          "dry_run": true})"),
                       404, "not_found"));
  EXPECT_TRUE(is_error(post("/api/runbooks/execute", "{}"), 400, "invalid_body", "runbook"));
  EXPECT_TRUE(is_error(post("/api/runbooks/execute", R"({"runbook": "note", "dry_run": "yes"})"),
                       400, "invalid_body", "dry_run"));
  EXPECT_TRUE(is_error(
    post("/api/runbooks/execute", R"({"runbook": "touch-marker", "parameters": {"fiel": "x"}})"),
    400, "invalid_body", "parameters.fiel"));
  EXPECT_TRUE(is_error(post("/api/runbooks/execute",
                            R"({"runbook": "touch-marker", "parameters": {"file": {"a": 1}}})"),
                       400, "invalid_body", "parameters.file"));
  EXPECT_TRUE(is_error(post("/api/runbooks/execute", R"({"runbook": "note", "now": true})"), 400,
                       "invalid_body", "now"));
  EXPECT_TRUE(is_error(get("/api/runbooks/execute"), 405, "method_not_allowed"));
  EXPECT_TRUE(workflow_ids().empty()) << "nothing refused started a run";
}

// -- enable / disable
// ------------------------------------------------------------------------------

TEST_F(runbook_routes_test, a_disabled_runbook_neither_triggers_nor_executes) {
  start();
  auto off = post("/api/runbooks/disable", R"({"runbook": "note"})");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(json_answer{off.body}.boolean("/enabled"), false);
  auto listed = get_json("/api/runbooks?category=test");
  EXPECT_EQ(listed.boolean("/runbooks/0/enabled"), false);

  // A matching event is dispatched, but starts nothing.
  ASSERT_EQ(post("/api/events", test::alert_json("Note", "web-1")).status, 202);
  ASSERT_TRUE(test::eventually([&] { return events_in_state("dispatched") == 1; }));
  EXPECT_TRUE(workflow_ids().empty());

  // By hand: 409, saying why; a dry run still shows the plan.
  auto refused = post("/api/runbooks/execute", R"({"runbook": "note"})");
  EXPECT_TRUE(is_error(refused, 409, "conflict"));
  EXPECT_NE(refused.body.find("disabled"), std::string::npos) << refused.body;
  EXPECT_EQ(post("/api/runbooks/execute", R"({"runbook": "note", "dry_run": true})").status, 200);
  EXPECT_TRUE(workflow_ids().empty());

  // The choice outlives a reload.
  ASSERT_EQ(post("/api/admin/reload-runbooks", "").status, 200);
  EXPECT_EQ(get_json("/api/runbooks?category=test").boolean("/runbooks/0/enabled"), false);

  // Enabled again (by path): both work.
  auto on = post("/api/runbooks/enable", R"({"runbook": "note.yaml"})");
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(json_answer{on.body}.boolean("/enabled"), true);
  ASSERT_EQ(post("/api/events", test::alert_json("Note", "web-2")).status, 202);
  EXPECT_TRUE(test::eventually([&] { return workflow_ids().size() == 1; }));
  auto manual = post("/api/runbooks/execute", R"({"runbook": "note"})");
  ASSERT_EQ(manual.status, 202) << manual.body;
  EXPECT_TRUE(test::eventually([&] { return workflow_ids().size() == 2; }));
}

TEST_F(runbook_routes_test, enable_and_disable_validate_their_body) {
  start();
  for (const std::string target : {"/api/runbooks/enable", "/api/runbooks/disable"}) {
    EXPECT_TRUE(is_error(post(target, R"({"runbook": "nope"})"), 404, "not_found")) << target;
    EXPECT_TRUE(is_error(post(target, "{}"), 400, "invalid_body", "runbook")) << target;
    EXPECT_TRUE(is_error(post(target, R"({"runbook": 1})"), 400, "invalid_body", "runbook"))
      << target;
    EXPECT_TRUE(
      is_error(post(target, R"({"runbook": "note", "why": "x"})"), 400, "invalid_body", "why"))
      << target;
  }
  EXPECT_EQ(get_json("/api/runbooks?category=test").boolean("/runbooks/0/enabled"), true);
}

} // namespace
} // namespace vigil
