// report.html: what a campaign found, readable in any browser with no
// network: a summary, the findings table, and two inline-SVG plots over the
// campaign's time (cumulative problems found; cumulative runs, i.e. runs/s).
#include <algorithm>
#include <cstdio>
#include <map>

#include "campaign_report.h"
#include "report.h"

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

}  // namespace

std::string campaign_html(const std::vector<CampaignRow>& rows, const std::vector<StackCurve>& curves) {
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
  static const char* kColors[] = {"#2471a3", "#c0392b", "#27ae60", "#8e44ad", "#d35400"};
  std::vector<Series> stack_series;
  for (size_t i = 0; i < curves.size(); i++) {
    Series s{curves[i].shape, kColors[i % 5], {}};
    for (const auto& [bytes, depth] : curves[i].budget_to_depth)
      s.points.emplace_back(static_cast<double>(bytes) / 1024, static_cast<double>(depth));
    stack_series.push_back(s);
  }
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>faultline campaign</title>\n<style>"
      "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.problem{background:#fde2e2}"
      ".summary{font-size:1.2em}.axis{stroke:#444}.title{font-weight:bold}figure{display:inline-block;margin:1em}"
      "</style></head><body>\n<h1>faultline campaign</h1>\n";
  html += "<p class=\"summary\" id=\"summary\">" + std::to_string(rows.size()) + " items (" + fmt("%.0f", runs) + " runs) in " + fmt("%.2f", elapsed) +
          " s, <strong>" + std::to_string(problems) + "</strong> problems";
  for (const auto& [cls, n] : by_class) html += ", " + std::to_string(n) + " " + xml_escape(cls);
  html += "</p>\n" + plot("problems found over time", {{"", "#c0392b", found_over_time}}, true, "%.1f s") +
          plot("runs completed over time (slope = runs/s)", {{"", "#2471a3", runs_over_time}}, true, "%.1f s");
  if (!stack_series.empty())
    html += plot("stack (KiB) vs nesting depth that exhausts it", stack_series, false, "%.0f KiB");
  html += "<table id=\"findings\"><thead><tr><th>target</th><th>kind</th><th>item</th><th>class</th><th>stack hash</th>"
          "<th>status</th><th>where</th><th>seconds</th></tr></thead><tbody>\n";
  for (const auto& r : rows) {
    const Frame* blamed = r.report ? blamed_frame(*r.report) : nullptr;
    const std::string where = blamed ? frame_label(*blamed) : "";
    html += std::string("<tr") + (r.problem ? " class=\"problem\"" : "") + "><td>" + xml_escape(r.target) + "</td><td>" +
            xml_escape(r.kind) + "</td><td>" + xml_escape(r.item) + "</td><td>" + xml_escape(r.cls) + "</td><td><code>" +
            xml_escape(r.hash) + "</code></td><td>" + xml_escape(r.status) + "</td><td>" + xml_escape(where) +
            "</td><td>" + fmt("%.2f", r.seconds) + "</td></tr>\n";
  }
  return html + "</tbody></table>\n</body></html>\n";
}

}  // namespace faultline
