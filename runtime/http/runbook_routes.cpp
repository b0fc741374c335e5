#include "runtime/http/runbook_routes.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "actors/plan.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/http/body.hpp"
#include "runtime/http/params.hpp"
#include "runtime/model/json_writer.hpp"
#include "runtime/model/time.hpp"

namespace vigil::http {

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

using rejected_map = std::map<std::string, model::diagnostics>;

/// `Runbook validation failed: FILE:LINE:COLUMN: KEY: PROBLEM` (the first problem; `and N more`).
std::string validation_failed(const model::diagnostics& problems) {
  std::string out = "Runbook validation failed: ";
  out += problems.empty() ? std::string{"invalid"} : problems.front().to_string();
  if (problems.size() > 1)
    out += " (and " + std::to_string(problems.size() - 1) + " more)";
  return out;
}

void write_runbook(model::json_writer& w, const runbook::runbook& b,
                   const rejected_map& rejected = {}) {
  w.begin_object();
  // A file changed since and now invalid: what runs (when triggered) is the last good version.
  if (auto it = rejected.find(b.path); it != rejected.end()) {
    w.field("stale", true).field("problem", validation_failed(it->second));
  } else {
    w.field("stale", false);
  }
  w.field("name", b.name).field("path", b.path).field("category", b.category);
  w.field("description", b.description).field("enabled", b.enabled).field("sha256", b.sha256);
  w.field("steps", static_cast<uint64_t>(b.steps.size()));
  w.key("triggers").begin_array();
  for (const auto& t : b.triggers) {
    w.begin_object();
    if (t.type)
      w.field("type", model::to_string(*t.type));
    w.field("status", t.status == runbook::status_filter::firing     ? "firing"
                      : t.status == runbook::status_filter::resolved ? "resolved"
                                                                     : "any");
    w.key("labels").begin_object();
    for (const auto& [k, v] : t.labels)
      w.field(k, v);
    w.end_object().end_object();
  }
  w.end_array();
  w.key("parameters").begin_object();
  for (const auto& [k, v] : b.parameters)
    w.field(k, v);
  w.end_object().end_object();
}

response list_answer(const std::vector<const runbook::runbook*>& books,
                     const rejected_map& rejected = {}) {
  model::json_writer w;
  w.begin_object().key("runbooks").begin_array();
  for (const auto* b : books)
    write_runbook(w, *b, rejected);
  w.end_array().field("count", static_cast<uint64_t>(books.size()));
  // Files that failed at the last reload: a new file that never loaded, or a change that did
  // not (its runbook above reads `stale`).
  w.key("rejected").begin_array();
  for (const auto& [file, problems] : rejected) {
    w.begin_object().field("path", file).field("problem", validation_failed(problems)).end_object();
  }
  w.end_array().end_object();
  return json_response(std::move(w).str());
}

response validation_answer(const model::expected_or_diagnostics<runbook::runbook>& loaded) {
  model::json_writer w;
  w.begin_object().field("valid", loaded.ok());
  if (loaded.ok())
    w.field("runbook", loaded.value().name)
      .field("steps", static_cast<uint64_t>(loaded.value().steps.size()));
  write_diagnostics(w, "errors", loaded.ok() ? model::diagnostics{} : loaded.errors());
  w.end_object();
  return json_response(std::move(w).str());
}

/// A path inside the repository, or nullopt (absolute paths and `..` stay out).
std::optional<std::string> inside(const std::string& repository, const std::string& relative) {
  if (relative.empty())
    return std::nullopt;
  const std::filesystem::path rel{relative};
  if (rel.is_absolute())
    return std::nullopt;
  for (const auto& part : rel)
    if (part == "..")
      return std::nullopt;
  return (std::filesystem::path{repository} / rel).string();
}

} // namespace

void add_runbook_routes(router& r, actors::workflow_service& wf) {
  r.add({method::get,
         "/api/runbooks",
         [&wf](request& req, responder reply) {
           query_reader q{req, model::timestamp{}};
           q.allow({"category"});
           const auto category = q.text("category");
           if (auto err = q.error())
             return reply(std::move(*err));
           std::vector<const runbook::runbook*> books;
           for (const auto& b : wf.runbooks()->matcher.runbooks())
             if (category.empty() || b->category == category)
               books.push_back(b.get());
           reply(list_answer(books, wf.rejected_files()));
         },
         {},
         "read"});
  r.add({method::get,
         "/api/runbooks/search",
         [&wf](request& req, responder reply) {
           query_reader q{req, model::timestamp{}};
           q.allow({"q"});
           const auto needle = lower(q.text("q"));
           if (needle.empty())
             q.fail("q",
                    "required: the text to look for in names, descriptions and trigger labels");
           if (auto err = q.error())
             return reply(std::move(*err));
           std::vector<const runbook::runbook*> books;
           for (const auto& b : wf.runbooks()->matcher.runbooks()) {
             bool hit = lower(b->name).find(needle) != std::string::npos
                        || lower(b->description).find(needle) != std::string::npos
                        || lower(b->category).find(needle) != std::string::npos;
             // Trigger labels: exact ones, and the values a `match` requires (eq / in).
             for (const auto& t : b->triggers) {
               for (const auto& [k, v] : t.labels)
                 hit = hit || lower(v).find(needle) != std::string::npos;
               for (const auto& c : t.match) {
                 hit = hit || (!c.text.empty() && lower(c.text).find(needle) != std::string::npos);
                 for (const auto& v : c.values)
                   hit = hit || lower(v).find(needle) != std::string::npos;
               }
             }
             if (hit)
               books.push_back(b.get());
           }
           reply(list_answer(books));
         },
         {},
         "read"});
  auto bodies = json_bodies();
  auto with_yaml = bodies;
  for (const auto* t : {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
    with_yaml.emplace_back(t);
  r.add({method::post, "/api/runbooks/validate",
         [&wf](request& req, responder reply) {
           const auto& opts = wf.options();
           if (req.content_type.find("yaml") != std::string::npos)
             return reply(validation_answer(
               runbook::load_runbook_text(req.body, "<inline>", "<inline>", opts.integrations)));
           auto body = parse_body(req);
           if (!body.ok())
             return reply(body.error_response());
           body.allow({"runbook_path", "yaml"});
           const auto path = body.text("runbook_path", false);
           const auto yaml = body.text("yaml", false);
           if (auto err = body.error())
             return reply(std::move(*err));
           if (!yaml.empty() && !path.empty())
             return reply(error_response(400, "invalid_body",
                                         "yaml: give either runbook_path or yaml, not both",
                                         {{"yaml", "given together with runbook_path", -1}}));
           if (!yaml.empty())
             return reply(validation_answer(
               runbook::load_runbook_text(yaml, "<inline>", "<inline>", opts.integrations)));
           auto file = inside(opts.repository, path);
           if (!file)
             return reply(error_response(
               400, "invalid_body",
               "runbook_path: a path inside the runbook repository is required "
               "(or send the YAML itself with Content-Type: application/yaml)",
               {{"runbook_path", "missing, absolute or outside the repository", -1}}));
           if (!std::filesystem::exists(*file))
             return reply(
               error_response(404, "not_found", "no runbook file " + path + " in the repository"));
           reply(validation_answer(runbook::load_runbook_file(*file, path, opts.integrations)));
         },
         with_yaml, "read"});
  r.add({method::post, "/api/runbooks/execute",
         [&wf](request& req, responder reply) {
           auto body = parse_body(req);
           if (!body.ok())
             return reply(body.error_response());
           body.allow({"runbook", "parameters", "dry_run"});
           const auto name = body.text("runbook", true);
           auto params = body.string_map("parameters");
           const bool dry_run = body.flag("dry_run", false);
           if (auto err = body.error())
             return reply(std::move(*err));
           auto book = wf.runbooks()->matcher.find(name);
           // The file is broken now: running its last good version by hand would run what the
           // file no longer says.
           const auto rejected = wf.rejected_files();
           const auto file = book ? book->path : name;
           if (auto it = rejected.find(file); it != rejected.end()) {
             std::vector<error_detail> details;
             for (const auto& d : it->second)
               details.push_back({d.path, d.to_string(), -1});
             return reply(
               error_response(422, "invalid_runbook", validation_failed(it->second), details));
           }
           if (!book)
             return reply(error_response(404, "not_found", "no runbook named " + name));
           if (!book->parameters.empty())
             for (const auto& [k, v] : params)
               if (book->parameters.count(k) == 0)
                 return reply(error_response(
                   400, "invalid_body",
                   "parameters." + k + ": runbook " + book->name + " declares no such parameter",
                   {{"parameters." + k, "not declared by the runbook", -1}}));
           // A run by hand has no alert: its labels are its parameters, so that a runbook
           // written for alerts (`{{ labels.instance }}`) runs by hand with
           // `"parameters": {"instance": "server-01"}`.
           model::label_set labels;
           for (const auto& [k, v] : params)
             labels.set(k, v);
           if (dry_run) {
             model::event manual;
             manual.type = model::event_type::event;
             manual.source = "manual";
             manual.labels = labels;
             return reply(json_response(actors::render_plan_json(*book, params, manual)));
           }
           // Disabled means "do not run": by hand neither (a dry run only shows the plan).
           if (!book->enabled)
             return reply(error_response(409, "conflict",
                                         "runbook " + book->name
                                           + " is disabled; enable it first "
                                             "(POST /api/runbooks/enable)"));
           auto id = wf.execute(book, std::move(params), std::move(labels));
           if (!id)
             return reply(error_answer(id.error()));
           model::json_writer w;
           w.begin_object()
             .field("workflow_id", *id)
             .field("runbook", book->path.empty() ? book->name : book->path)
             .field("runbook_name", book->name)
             .field("status", "pending")
             .end_object();
           reply(json_response(std::move(w).str(), 202));
         },
         bodies, "operate"});
  for (const bool enable : {true, false}) {
    r.add({method::post, enable ? "/api/runbooks/enable" : "/api/runbooks/disable",
           [&wf, enable](request& req, responder reply) {
             auto body = parse_body(req);
             if (!body.ok())
               return reply(body.error_response());
             body.allow({"runbook"});
             const auto name = body.text("runbook", true);
             if (auto err = body.error())
               return reply(std::move(*err));
             if (auto err = wf.set_enabled(name, enable))
               return reply(error_answer(err));
             model::json_writer w;
             w.begin_object().field("runbook", name).field("enabled", enable).end_object();
             reply(json_response(std::move(w).str()));
           },
           bodies, "operate"});
  }
}

} // namespace vigil::http
