// report.html: what a campaign found, readable in any browser with no
// network: a summary, the trend across nights, the findings table, and two
// inline-SVG plots over the campaign's time (cumulative problems found;
// cumulative runs, i.e. runs/s). Beside it, findings/<class>-<hash>.html: a
// page per finding with its stacks, schedule and replay command.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "report/campaign_report.h"
#include "triage/classify.h"
#include "report/report.h"
#include "base/shell_words.h"

namespace faultline {

namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// An axis label that fits the margin: 950, 12.3k, 4.5M.
std::string compact(double v) {
  if (v >= 1e6) return fmt("%.1fM", v / 1e6);
  if (v >= 1e4) return fmt("%.0fk", v / 1e3);
  return fmt("%.0f", v);
}

struct Series {
  std::string label, color;
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
};

// Series as SVG polylines over shared axes: steps for counts over time,
// straight segments otherwise. x_max_label formats the largest x.
std::string plot(const std::string& title, const std::vector<Series>& series, bool steps, const char* x_max_label) {
  constexpr double W = 560, H = 220, L = 50, B = 30, T = 24, R = 16;
  double tmax = 1e-3, ymax = 1;
  for (const auto& s : series)
    for (const auto& [px, py] : s.points) {
      tmax = std::max(tmax, px);
      ymax = std::max(ymax, py);
    }
  auto x = [&](double t) { return L + (W - L - R) * t / tmax; };
  auto y = [&](double v) { return H - B - (H - B - T) * v / ymax; };
  std::string lines, legend;
  double legend_y = T + 14;
  for (const auto& s : series) {
    std::string line = steps ? fmt("%.1f", x(0)) + "," + fmt("%.1f", y(0)) : "";
    double last = 0;
    for (const auto& [t, v] : s.points) {
      if (steps) line += " " + fmt("%.1f", x(t)) + "," + fmt("%.1f", y(last));
      line += " " + fmt("%.1f", x(t)) + "," + fmt("%.1f", y(v));
      if (!steps)
        lines += "<circle cx=\"" + fmt("%.1f", x(t)) + "\" cy=\"" + fmt("%.1f", y(v)) + "\" r=\"3\" fill=\"" + s.color + "\"/>";
      last = v;
    }
    lines += "<polyline fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"2\" points=\"" + line + "\"/>";
    if (!s.label.empty()) {
      legend += "<text x=\"" + fmt("%.0f", L + 8) + "\" y=\"" + fmt("%.0f", legend_y) + "\" fill=\"" + s.color + "\">" +
                xml_escape(s.label) + "</text>";
      legend_y += 14;
    }
  }
  return "<figure><svg width=\"" + fmt("%.0f", W) + "\" height=\"" + fmt("%.0f", H) + "\" role=\"img\" aria-label=\"" +
         xml_escape(title) + "\">" + "<text x=\"" + fmt("%.0f", L) + "\" y=\"16\" class=\"title\">" + xml_escape(title) +
         "</text><line x1=\"" + fmt("%.0f", L) + "\" y1=\"" + fmt("%.0f", H - B) + "\" x2=\"" + fmt("%.0f", W - R) +
         "\" y2=\"" + fmt("%.0f", H - B) + "\" class=\"axis\"/><line x1=\"" + fmt("%.0f", L) + "\" y1=\"" +
         fmt("%.0f", T) + "\" x2=\"" + fmt("%.0f", L) + "\" y2=\"" + fmt("%.0f", H - B) + "\" class=\"axis\"/>" +
         "<text x=\"" + fmt("%.0f", L - 6) + "\" y=\"" + fmt("%.0f", T + 4) + "\" text-anchor=\"end\">" +
         compact(ymax) + "</text><text x=\"" + fmt("%.0f", W - R) + "\" y=\"" + fmt("%.0f", H - 10) +
         "\" text-anchor=\"end\">" + fmt(x_max_label, tmax) + "</text>" + lines + legend + "</svg></figure>\n";
}

const char* const kColors[] = {"#2471a3", "#c0392b", "#27ae60", "#8e44ad", "#d35400"};
constexpr size_t kTrendTableNights = 14;  // the table: the last two weeks; the plots: every night kept

std::string page_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + xml_escape(title) +
         "</title>\n<style>"
         "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.problem{background:#fde2e2}"
         ".summary{font-size:1.2em}.axis{stroke:#444}.title{font-weight:bold}figure{display:inline-block;margin:1em}"
         "dt{font-weight:bold;float:left;clear:left;width:9em}dd{margin-left:10em;margin-bottom:4px}"
         "pre{background:#f4f4f4;padding:8px;overflow-x:auto;white-space:pre-wrap}"
         "ol.stack{font-family:monospace}ol.stack li.hashed{background:#fff3c4}ol.stack li.blamed{font-weight:bold}"
         ".stacks{display:flex;gap:2em;flex-wrap:wrap}.muted{color:#777}"
         "</style></head><body>\n";
}

// The trend across nights: new/fixed/flaky and executions per target, one
// point per night, then the last nights as a table (newest first).
std::string trend_section(const std::vector<CampaignNight>& history) {
  std::string html = "<section id=\"trend\"><h2>Trend across nights</h2>\n<p id=\"trend-summary\">" +
                     std::to_string(history.size()) + (history.size() == 1 ? " night" : " nights") + " recorded</p>\n";
  if (history.empty()) return html + "</section>\n";
  std::vector<Series> counts = {{"new", "#c0392b", {}}, {"fixed", "#27ae60", {}}, {"flaky", "#d35400", {}}};
  std::map<std::string, Series> execs;
  for (size_t i = 0; i < history.size(); i++) {
    const double night = static_cast<double>(i);  // the oldest night kept is at x = 0
    const NightCounts& t = history[i].totals;
    counts[0].points.emplace_back(night, static_cast<double>(t.new_findings));
    counts[1].points.emplace_back(night, static_cast<double>(t.fixed));
    counts[2].points.emplace_back(night, static_cast<double>(t.flaky));
    for (const auto& [target, c] : history[i].targets) {
      Series& s = execs.try_emplace(target, Series{target, kColors[execs.size() % 5], {}}).first->second;
      s.points.emplace_back(night, static_cast<double>(c.execs));
    }
  }
  std::vector<Series> exec_series;
  for (auto& [target, s] : execs) exec_series.push_back(std::move(s));
  // Nights count from 0 on the x axis; the label at its end names the last one.
  const std::string last_night = "night " + std::to_string(history.size());
  html += plot("new, fixed and flaky per night", counts, false, last_night.c_str()) +
          plot("executions per target per night", exec_series, false, last_night.c_str());
  html += "<table id=\"trend-nights\"><thead><tr><th>night (UTC)</th><th>new</th><th>fixed</th><th>flaky</th>"
          "<th>execs</th></tr></thead><tbody>\n";
  for (size_t shown = 0; shown < std::min(history.size(), kTrendTableNights); shown++) {
    const CampaignNight& n = history[history.size() - 1 - shown];
    html += "<tr><td>" + xml_escape(n.utc) + "</td><td>" + std::to_string(n.totals.new_findings) + "</td><td>" +
            std::to_string(n.totals.fixed) + "</td><td>" + std::to_string(n.totals.flaky) + "</td><td>" +
            std::to_string(n.totals.execs) + "</td></tr>\n";
  }
  return html + "</tbody></table></section>\n";
}

// A file name that is safe in a URL and on disk whatever a corpora directory
// is called: [A-Za-z0-9._-] kept, the rest '_', never hidden, bounded.
std::string safe_file_stem(const std::string& name) {
  std::string out;
  for (char c : name.substr(0, 160)) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

// The reproducer directory, spelled one way whatever path led to it.
std::filesystem::path reproducer_dir(const CampaignRow& r) {
  std::string dir = std::filesystem::path(r.reproducer).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// Per row, the finding page it links to ("" for none): one page per
// reproducer, named after its directory (by content: <class>-<hash>); the
// same bucket under another target gets the target's name in front.
std::vector<std::string> finding_page_names(const std::vector<CampaignRow>& rows) {
  std::map<std::string, std::string> by_reproducer;
  std::set<std::string> taken;
  std::vector<std::string> names;
  for (const auto& r : rows) {
    if (r.reproducer.empty()) {
      names.emplace_back();
      continue;
    }
    const std::filesystem::path dir = reproducer_dir(r);
    auto [it, inserted] = by_reproducer.try_emplace(dir.string());
    if (inserted) {
      const std::string bucket = dir.filename().string();
      std::string stem = safe_file_stem(bucket);
      if (taken.count(stem)) stem = safe_file_stem(r.target + "-" + bucket);
      for (int n = 2; taken.count(stem); n++) stem = safe_file_stem(r.target + "-" + bucket + "-" + std::to_string(n));
      taken.insert(stem);
      it->second = "findings/" + stem + ".html";
    }
    names.push_back(it->second);
  }
  return names;
}

}  // namespace

std::string campaign_html(const std::vector<CampaignRow>& rows, const std::vector<StackCurve>& curves,
                          const std::vector<CampaignNight>& history) {
  int problems = 0;
  double elapsed = 0;
  double runs = 0;
  std::vector<std::pair<double, double>> found_over_time, runs_over_time;
  std::map<std::string, int> by_class;
  for (size_t i = 0; i < rows.size(); i++) {
    elapsed += rows[i].seconds;
    problems += rows[i].problem;
    runs += static_cast<double>(rows[i].runs);
    if (rows[i].problem) by_class[rows[i].cls]++;
    found_over_time.emplace_back(elapsed, problems);
    runs_over_time.emplace_back(elapsed, runs);
  }
  std::vector<Series> stack_series;
  for (size_t i = 0; i < curves.size(); i++) {
    Series s{curves[i].shape, kColors[i % 5], {}};
    for (const auto& [bytes, depth] : curves[i].budget_to_depth)
      s.points.emplace_back(static_cast<double>(bytes) / 1024, static_cast<double>(depth));
    stack_series.push_back(s);
  }
  std::string html = page_head("faultline campaign") + "<h1>faultline campaign</h1>\n";
  html += "<p class=\"summary\" id=\"summary\">" + std::to_string(rows.size()) + " items (" + fmt("%.0f", runs) + " runs) in " + fmt("%.2f", elapsed) +
          " s, <strong>" + std::to_string(problems) + "</strong> problems";
  for (const auto& [cls, n] : by_class) html += ", " + std::to_string(n) + " " + xml_escape(cls);
  html += "</p>\n" + trend_section(history) + plot("problems found over time", {{"", "#c0392b", found_over_time}}, true, "%.1f s") +
          plot("runs completed over time (slope = runs/s)", {{"", "#2471a3", runs_over_time}}, true, "%.1f s");
  if (!stack_series.empty())
    html += plot("stack (KiB) vs nesting depth that exhausts it", stack_series, false, "%.0f KiB");
  html += "<table id=\"findings\"><thead><tr><th>target</th><th>kind</th><th>item</th><th>class</th><th>stack hash</th>"
          "<th>status</th><th>where</th><th>seconds</th><th>finding</th></tr></thead><tbody>\n";
  const std::vector<std::string> pages = finding_page_names(rows);
  for (size_t i = 0; i < rows.size(); i++) {
    const CampaignRow& r = rows[i];
    const std::string page = pages[i].empty() ? "" : "<a href=\"" + xml_escape(pages[i]) + "\">page</a>";
    const Frame* blamed = r.report ? blamed_frame(*r.report) : nullptr;
    const std::string where = blamed ? frame_label(*blamed) : "";
    html += std::string("<tr") + (r.problem ? " class=\"problem\"" : "") + "><td>" + xml_escape(r.target) + "</td><td>" +
            xml_escape(r.kind) + "</td><td>" + xml_escape(r.item) + "</td><td>" + xml_escape(r.cls) + "</td><td><code>" +
            xml_escape(r.hash) + "</code></td><td>" + xml_escape(r.status) + "</td><td>" + xml_escape(where) +
            "</td><td>" + fmt("%.2f", r.seconds) + "</td><td>" + page + "</td></tr>\n";
  }
  return html + "</tbody></table>\n</body></html>\n";
}

namespace {

// What a page embeds from the program is bounded: a runaway recursion has
// thousands of frames and a chatty target megabytes of stderr.
constexpr size_t kPageMaxFrames = 64;
constexpr size_t kPageMaxStderr = 4096;

std::string frame_item(const Frame& f, bool blamed) {
  const std::string cls = blamed ? " class=\"hashed blamed\"" : f.in_hash ? " class=\"hashed\"" : "";
  return "<li" + cls + ">" + xml_escape(frame_label(f)) + " <span class=\"muted\">" + xml_escape(f.module) + "+" +
         hex_address(f.module_offset) + "</span></li>\n";
}

// An ordered list of at most kPageMaxFrames frames, innermost first; frames
// the stack hash was taken from are highlighted, the blamed one in bold.
std::string stack_list(const std::string& id, const std::string& title, const std::vector<Frame>& frames,
                       const Frame* blamed = nullptr) {
  std::string html = "<div><h4>" + xml_escape(title) + "</h4><ol class=\"stack\" id=\"" + id + "\">\n";
  for (size_t i = 0; i < std::min(frames.size(), kPageMaxFrames); i++) html += frame_item(frames[i], &frames[i] == blamed);
  if (frames.size() > kPageMaxFrames)
    html += "<li class=\"muted\">... " + std::to_string(frames.size() - kPageMaxFrames) + " more frames</li>\n";
  return html + "</ol></div>\n";
}

// Each finding's evidence, with the handler's and the interrupted code's
// stacks side by side when a signal frame splits them.
std::string findings_section(const CrashReport& rep) {
  std::string html;
  for (size_t i = 0; i < rep.findings.size(); i++) {
    const Finding& f = rep.findings[i];
    const std::string id = "finding-" + std::to_string(i);
    html += "<h3>" + xml_escape(std::string(to_string(f.cls))) +
            (f.thread >= 0 ? ", thread " + std::to_string(f.thread) : "") + "</h3><p>" + xml_escape(f.detail) +
            "</p>\n<div class=\"stacks\">\n";
    if (!f.handler_stack.empty() || !f.interrupted_stack.empty())
      html += stack_list(id + "-handler", "signal handler", f.handler_stack) +
              stack_list(id + "-interrupted", "interrupted code", f.interrupted_stack);
    else if (!f.frames.empty())
      html += stack_list(id + "-stack", "stack when it was detected", f.frames);
    html += "</div>\n";
  }
  return html.empty() ? "" : "<h2>Findings</h2>\n" + html;
}

std::string fact(const std::string& name, const std::string& id, const std::string& escaped_value) {
  return "<dt>" + name + "</dt><dd id=\"" + id + "\">" + escaped_value + "</dd>\n";
}

// The class a reproducer's directory is named for (<class>-<16 hex digits>):
// what a fixed regression was, now that its last replay is clean.
std::string bucket_class(const CampaignRow& r) {
  const std::string bucket = reproducer_dir(r).filename().string();
  const size_t dash = bucket.rfind('-');
  return dash != std::string::npos && bucket.size() - dash == 17 ? bucket.substr(0, dash) : r.cls;
}

std::string facts_list(const CampaignRow& r) {
  const CrashReport* rep = r.report ? &*r.report : nullptr;
  const Frame* blamed = rep ? blamed_frame(*rep) : nullptr;
  std::string html = "<dl>\n" + fact("target", "target", xml_escape(r.target)) +
                     fact("status", "status", xml_escape(r.kind + ": " + r.status)) +
                     fact("this night", "observed", xml_escape(r.cls.empty() ? "not run" : r.cls)) +
                     fact("where", "where", blamed ? xml_escape(frame_label(*blamed)) : "<span class=\"muted\">-</span>") +
                     fact("stack hash", "hash", "<code>" + xml_escape(r.hash) + "</code>");
  if (rep && rep->signo)
    html += fact("signal", "signal",
                 xml_escape(signal_name(rep->signo)) + (rep->fault_address ? " at " + hex_address(*rep->fault_address) : "") +
                     (rep->fault_region.empty() ? "" : " (" + xml_escape(rep->fault_region) + ")"));
  if (rep && rep->thread >= 0)
    html += fact("thread", "thread", std::to_string(rep->thread) + (rep->process.empty() ? "" : ", " + xml_escape(rep->process)));
  if (rep && rep->reentrancy)
    html += fact("reentrancy", "reentrancy",
                 "handler <code>" + xml_escape(rep->reentrancy->handler) + "</code> interrupted <code>" +
                     xml_escape(rep->reentrancy->interrupted) + "</code>");
  html += fact("schedule", "schedule", "<code>" + xml_escape(rep ? rep->schedule : "") + "</code>") +
          fact("input", "input-size", r.input_bytes ? std::to_string(*r.input_bytes) + " bytes" : "no input file") +
          fact("reproducer", "reproducer", "<code>" + xml_escape(r.reproducer) + "</code>");
  return html + "</dl>\n";
}

std::string stderr_section(const std::string& tail) {
  if (tail.empty()) return "";
  const size_t from = tail.size() > kPageMaxStderr ? tail.size() - kPageMaxStderr : 0;
  return "<h2>stderr (its end, at most 4 KiB)</h2><pre id=\"stderr\">" + xml_escape(tail.substr(from)) + "</pre>\n";
}

std::string finding_page(const CampaignRow& r) {
  const std::string cls = r.cls.empty() || r.cls == "none" ? bucket_class(r) : r.cls;
  const std::string title = cls + " in " + r.target;
  std::string html = page_head("faultline: " + title) + "<p><a href=\"../report.html\">campaign report</a></p>\n<h1><span id=\"class\">" +
                     xml_escape(cls) + "</span> in " + xml_escape(r.target) + "</h1>\n" + facts_list(r) +
                     "<h2>Replay</h2><pre id=\"replay\">" + xml_escape(r.replay_command) + "</pre>\n";
  if (r.report) {
    html += findings_section(*r.report);
    if (!r.report->frames.empty())
      html += "<h2>Stack at the fatal signal</h2>\n" +
              stack_list("stack", r.report->frames_truncated ? "innermost frames (truncated by triage)" : "innermost first",
                         r.report->frames, blamed_frame(*r.report));
    html += stderr_section(r.report->stderr_tail);
  }
  return html + "</body></html>\n";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> campaign_finding_pages(const std::vector<CampaignRow>& rows) {
  const std::vector<std::string> names = finding_page_names(rows);
  std::vector<std::pair<std::string, std::string>> pages;
  std::set<std::string> made;
  for (size_t i = 0; i < rows.size(); i++)
    if (!names[i].empty() && made.insert(names[i]).second) pages.emplace_back(names[i], finding_page(rows[i]));
  return pages;
}

void add_replay_facts(CampaignRow& row) {
  if (row.reproducer.empty()) return;
  if (row.replay_command.empty()) row.replay_command = "faultline replay " + shell_word(row.reproducer);
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(std::filesystem::path(row.reproducer) / "input", ec);
  if (!ec) row.input_bytes = bytes;
}

}  // namespace faultline
