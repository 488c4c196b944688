// ARCHITECTURE.md stays true: the folders it names exist, harness/'s folders
// are its layers and every #include goes down them (or stays level), no two
// files include each other round a circle, and functions stay short (the
// limits are the ones harness/.clang-tidy and injectors/.clang-tidy set).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <cstdio>

#include "test_support.h"

namespace fs = std::filesystem;
using faultline::test::shell_quote;

namespace {

const fs::path kSource = FAULTLINE_SOURCE_DIR;

std::string text_of(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The layer folders of harness/, lowest first, from the line of
// ARCHITECTURE.md that starts with "Layers".
std::vector<std::string> layers() {
  std::istringstream doc(text_of(kSource / "ARCHITECTURE.md"));
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("Layers", 0) != 0) continue;
    std::vector<std::string> out;
    const std::regex name("`([a-z_]+)/`");
    for (std::sregex_iterator it(line.begin(), line.end(), name), end; it != end; ++it) out.push_back((*it)[1]);
    return out;
  }
  return {};
}

bool is_source(const fs::path& p) {
  static const std::set<std::string> extensions = {".c", ".h", ".cpp", ".hpp"};
  return extensions.count(p.extension().string()) > 0;
}

std::vector<fs::path> sources_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && is_source(e.path())) out.push_back(fs::relative(e.path(), kSource));
  std::sort(out.begin(), out.end());
  return out;
}

// The quoted #includes of a file, as written.
std::vector<std::string> includes_of(const fs::path& file) {
  std::vector<std::string> out;
  std::istringstream in(text_of(kSource / file));
  const std::regex include(R"(^\s*#\s*include\s+"([^"]+)\")");
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, include)) out.push_back(m[1]);
  return out;
}

// A header and its implementation are one module: "harness/process/runner".
std::string module_of(const fs::path& file) { return (file.parent_path() / file.stem()).string(); }

// The file an include names, found the way the build finds it: beside the
// includer, then from harness/, then from injectors/.
std::optional<fs::path> resolve(const fs::path& includer, const std::string& name) {
  for (const fs::path& root : {kSource / includer.parent_path(), kSource / "harness", kSource / "injectors"})
    if (fs::exists(root / name)) return fs::relative(fs::weakly_canonical(root / name), kSource);
  return std::nullopt;
}

}  // namespace

TEST(Architecture, EveryFolderTheMapNamesExists) {
  const std::string doc = text_of(kSource / "ARCHITECTURE.md");
  ASSERT_FALSE(doc.empty());
  const std::regex folder(R"(`((?:harness|injectors|targets|tests|bench|corpora|examples|scripts|packaging|cmake|docs)(?:/[A-Za-z0-9_.-]+)*/)`)");
  int named = 0;
  for (std::sregex_iterator it(doc.begin(), doc.end(), folder), end; it != end; ++it, ++named)
    EXPECT_TRUE(fs::is_directory(kSource / (*it)[1].str())) << "ARCHITECTURE.md names " << (*it)[1] << ", which is not there";
  EXPECT_GE(named, 10);
}

TEST(Architecture, HarnessIsItsLayersAndTheMapNamesEach) {
  const auto order = layers();
  ASSERT_GE(order.size(), 5u) << "ARCHITECTURE.md has no \"Layers\" line naming harness/'s folders";
  for (const auto& e : fs::directory_iterator(kSource / "harness")) {
    const std::string name = e.path().filename().string();
    if (e.is_directory())
      EXPECT_NE(std::find(order.begin(), order.end(), name), order.end()) << "harness/" << name << "/ is not a layer";
    else
      EXPECT_FALSE(is_source(e.path())) << "harness/" << name << " is in no layer";
  }
  for (const auto& layer : order) EXPECT_TRUE(fs::is_directory(kSource / "harness" / layer)) << layer;
}

// Each layer's README.md says what it may include: the layers below it.
TEST(Architecture, EachLayerSaysWhatItMayInclude) {
  const auto order = layers();
  ASSERT_FALSE(order.empty());
  for (size_t i = 0; i < order.size(); i++) {
    const std::string readme = text_of(kSource / "harness" / order[i] / "README.md");
    const size_t at = readme.find("May include:");
    ASSERT_NE(at, std::string::npos) << "harness/" << order[i] << "/README.md says nothing of what it may include";
    const std::string rule = readme.substr(at, readme.find("\n\n", at) - at);
    std::set<std::string> named;
    const std::regex layer(R"(\b([a-z_]+)/)");
    for (std::sregex_iterator it(rule.begin(), rule.end(), layer), end; it != end; ++it)
      if (std::find(order.begin(), order.end(), (*it)[1].str()) != order.end()) named.insert((*it)[1]);
    const std::set<std::string> below(order.begin(), order.begin() + static_cast<long>(i));
    if (i + 1 == order.size() && rule.find("every layer") != std::string::npos) continue;
    EXPECT_EQ(named, below) << "harness/" << order[i] << "/README.md: " << rule;
  }
}

TEST(Architecture, IncludesGoDownTheLayers) {
  const auto order = layers();
  auto rank = [&](const std::string& folder) { return std::find(order.begin(), order.end(), folder) - order.begin(); };
  int checked = 0;
  for (const fs::path& file : sources_under(kSource / "harness")) {
    const std::string own = file.begin()->string() == "harness" ? std::next(file.begin())->string() : "";
    for (const std::string& name : includes_of(file)) {
      const auto target = resolve(file, name);
      if (!target || *target->begin() != "harness") continue;  // system, injectors' shared headers
      const std::string to = std::next(target->begin())->string();
      checked++;
      EXPECT_LE(rank(to), rank(own)) << file.string() << " includes " << name << ": " << own << "/ may not call up into "
                                     << to << "/";
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(Architecture, NoFilesIncludeEachOtherRoundACircle) {
  std::map<std::string, std::set<std::string>> calls;  // module -> modules it includes
  for (const fs::path& dir : {kSource / "harness", kSource / "injectors"})
    for (const fs::path& file : sources_under(dir))
      for (const std::string& name : includes_of(file))
        if (auto target = resolve(file, name); target && module_of(*target) != module_of(file))
          calls[module_of(file)].insert(module_of(*target));
  std::map<std::string, int> state;  // 1: on the current path, 2: done
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& m) {
    state[m] = 1;
    path.push_back(m);
    for (const auto& next : calls[m]) {
      if (state[next] == 1) {
        std::string circle;
        for (auto it = std::find(path.begin(), path.end(), next); it != path.end(); ++it) circle += *it + " -> ";
        ADD_FAILURE() << "include circle: " << circle << next;
      } else if (state[next] == 0) {
        visit(next);
      }
    }
    path.pop_back();
    state[m] = 2;
  };
  for (const auto& [m, _] : calls)
    if (state[m] == 0) visit(m);
  EXPECT_GT(calls.size(), 50u);
}

// Universal Ctags gives each function's first and last line; the limit is
// the folder's .clang-tidy LineThreshold, so clang-tidy and this test agree.
TEST(Architecture, FunctionsAreShort) {
  for (const std::string folder : {"harness", "injectors"}) {
    const std::string tidy = text_of(kSource / folder / ".clang-tidy");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(tidy, m, std::regex(R"(LineThreshold\s+value:\s*(\d+))")))
        << folder << "/.clang-tidy sets no readability-function-size.LineThreshold";
    const int limit = std::stoi(m[1]);
    const std::string command = "ctags-universal -x '--_xformat=%{line} %{end} %N %F' --languages=C,C++ --kinds-c=f --kinds-c++=f -R " +
                                shell_quote((kSource / folder).string());
    std::string listing;
    FILE* ctags = popen(command.c_str(), "r");
    ASSERT_NE(ctags, nullptr);
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, ctags)) > 0;) listing.append(buf, n);
    ASSERT_EQ(pclose(ctags), 0) << command << " failed (ctags-universal is Debian's universal-ctags)";
    std::istringstream rows(listing);
    int functions = 0;
    for (std::string row; std::getline(rows, row); functions++) {
      std::istringstream fields(row);
      int first = 0, last = 0;
      std::string name, file;
      fields >> first >> last >> name >> file;
      EXPECT_LE(last - first + 1, limit) << fs::relative(file, kSource).string() << ":" << first << ": " << name
                                         << " is " << last - first + 1 << " lines";
    }
    EXPECT_GT(functions, 50) << folder;
  }
}

// What faultline writes by default in the directory it runs in is not
// committed by accident: every default output folder of the option table
// that is not a folder of the checkout (corpora/ is) is in .gitignore.
TEST(Architecture, DefaultOutputFoldersAreIgnored) {
  const std::string table = text_of(kSource / "harness" / "cli" / "cli_options.cpp");
  const std::string ignored = text_of(kSource / ".gitignore");
  const std::regex default_dir(R"re(value<std::string>\("DIR", "([^"]+)"\))re");
  int checked = 0;
  for (std::sregex_iterator it(table.begin(), table.end(), default_dir), end; it != end; ++it) {
    const std::string dir = (*it)[1];
    if (fs::is_directory(kSource / dir)) continue;
    checked++;
    const std::regex line("(^|\n)/?" + dir + "/(\n|$)");
    EXPECT_TRUE(std::regex_search(ignored, line)) << dir << "/ is a default output folder and not in .gitignore";
  }
  EXPECT_GE(checked, 3);
}
