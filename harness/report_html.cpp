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

// A step plot of y(t) as an SVG polyline, with its axes and labels.
std::string step_plot(const std::string& title, const std::vector<std::pair<double, double>>& points, const std::string& color) {
  constexpr double W = 560, H = 220, L = 50, B = 30, T = 24, R = 16;
  const double tmax = std::max(points.empty() ? 1.0 : points.back().first, 1e-3);
  double ymax = 1;
  for (const auto& p : points) ymax = std::max(ymax, p.second);
  auto x = [&](double t) { return L + (W - L - R) * t / tmax; };
  auto y = [&](double v) { return H - B - (H - B - T) * v / ymax; };
  std::string line = fmt("%.1f", x(0)) + "," + fmt("%.1f", y(0));
  double last = 0;
  for (const auto& [t, v] : points) {
    line += " " + fmt("%.1f", x(t)) + "," + fmt("%.1f", y(last)) + " " + fmt("%.1f", x(t)) + "," + fmt("%.1f", y(v));
    last = v;
  }
  return "<figure><svg width=\"" + fmt("%.0f", W) + "\" height=\"" + fmt("%.0f", H) + "\" role=\"img\" aria-label=\"" +
         xml_escape(title) + "\">" + "<text x=\"" + fmt("%.0f", L) + "\" y=\"16\" class=\"title\">" + xml_escape(title) +
         "</text><line x1=\"" + fmt("%.0f", L) + "\" y1=\"" + fmt("%.0f", H - B) + "\" x2=\"" + fmt("%.0f", W - R) +
         "\" y2=\"" + fmt("%.0f", H - B) + "\" class=\"axis\"/><line x1=\"" + fmt("%.0f", L) + "\" y1=\"" +
         fmt("%.0f", T) + "\" x2=\"" + fmt("%.0f", L) + "\" y2=\"" + fmt("%.0f", H - B) + "\" class=\"axis\"/>" +
         "<text x=\"" + fmt("%.0f", L - 6) + "\" y=\"" + fmt("%.0f", T + 4) + "\" text-anchor=\"end\">" +
         fmt("%.0f", ymax) + "</text><text x=\"" + fmt("%.0f", W - R) + "\" y=\"" + fmt("%.0f", H - 10) +
         "\" text-anchor=\"end\">" + fmt("%.1f s", tmax) + "</text><polyline fill=\"none\" stroke=\"" + color +
         "\" stroke-width=\"2\" points=\"" + line + "\"/></svg></figure>\n";
}

}  // namespace

std::string campaign_html(const std::vector<CampaignRow>& rows) {
  int problems = 0;
  double elapsed = 0;
  std::vector<std::pair<double, double>> found_over_time, runs_over_time;
  std::map<std::string, int> by_class;
  for (size_t i = 0; i < rows.size(); i++) {
    elapsed += rows[i].seconds;
    problems += rows[i].problem;
    if (rows[i].problem) by_class[rows[i].cls]++;
    found_over_time.emplace_back(elapsed, problems);
    runs_over_time.emplace_back(elapsed, static_cast<double>(i + 1));
  }
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>faultline campaign</title>\n<style>"
      "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.problem{background:#fde2e2}"
      ".summary{font-size:1.2em}.axis{stroke:#444}.title{font-weight:bold}figure{display:inline-block;margin:1em}"
      "</style></head><body>\n<h1>faultline campaign</h1>\n";
  html += "<p class=\"summary\" id=\"summary\">" + std::to_string(rows.size()) + " runs in " + fmt("%.2f", elapsed) +
          " s, <strong>" + std::to_string(problems) + "</strong> problems";
  for (const auto& [cls, n] : by_class) html += ", " + std::to_string(n) + " " + xml_escape(cls);
  html += "</p>\n" + step_plot("problems found over time", found_over_time, "#c0392b") +
          step_plot("runs completed over time (slope = runs/s)", runs_over_time, "#2471a3");
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
