#include "store/manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "base/engines.h"
#include "base/nested_source.h"
#include "store/reproducer_json.h"
#include "schedule.h"
#include "base/schedule.hpp"
#include "base/text.h"

namespace faultline {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxManifestBytes = 1 << 20;
constexpr size_t kMaxTargets = 1000;

// Everything a parse error needs to name: the file, the line, the key.
class Reader {
 public:
  Reader(const fs::path& file, const fs::path& root) : file_(file), root_(root) {}

  Error error(const toml::node& at, const std::string& key, const std::string& problem) const {
    return Error{one_line(file_.string() + ":" + std::to_string(at.source().begin.line) + ": key '" + key + "': " + problem)};
  }
  Error error(const toml::key& key, const std::string& context, const std::string& problem) const {
    return Error{one_line(file_.string() + ":" + std::to_string(key.source().begin.line) + ": key '" + context +
                          std::string(key.str()) + "': " + problem)};
  }

  // Every key of `table` must be one of `known`.
  std::optional<Error> only_keys(const toml::table& table, const std::string& context,
                                 std::initializer_list<const char*> known) const {
    for (const auto& entry : table) {  // not a structured binding: clang 14 (the fuzzer's) cannot capture one
      const toml::key& key = entry.first;
      if (std::find_if(known.begin(), known.end(), [&](const char* k) { return key.str() == k; }) == known.end()) {
        std::string list;
        for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        return error(key, context, "unknown key (known here: " + list + ")");
      }
    }
    return std::nullopt;
  }

  Result<std::string> string(const toml::node& n, const std::string& key) const {
    if (!n.is_string()) return error(n, key, "must be a string");
    return std::string(n.as_string()->get());
  }
  // Arrays of strings are argv (run, args) or names: a NUL ("\u0000") would
  // end the C string, so the program would get less than the file says.
  Result<std::vector<std::string>> strings(const toml::node& n, const std::string& key) const {
    if (!n.is_array()) return error(n, key, "must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *n.as_array()) {
      if (!e.is_string()) return error(e, key, "must be an array of strings");
      if (e.as_string()->get().find('\0') != std::string::npos) return error(e, key, "holds a NUL byte, which no argument can carry");
      out.emplace_back(e.as_string()->get());
    }
    return out;
  }
  Result<int64_t> integer(const toml::node& n, const std::string& key, int64_t lo, int64_t hi) const {
    if (!n.is_integer() || n.as_integer()->get() < lo || n.as_integer()->get() > hi)
      return error(n, key, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return n.as_integer()->get();
  }
  Result<double> seconds(const toml::node& n, const std::string& key) const {
    const double v = n.is_integer() ? static_cast<double>(n.as_integer()->get())
                     : n.is_floating_point() ? n.as_floating_point()->get()
                                             : -1;
    // repro.json's bound: a reproducer stored with this timeout must load again.
    if (!(v > 0 && v <= 86400.0)) return error(n, key, "must be a number of seconds in (0, 86400]");
    return v;
  }
  Result<uint64_t> size(const toml::node& n, const std::string& key) const {
    auto text = string(n, key);
    uint64_t v = 0;
    if (!text || fl_parse_size(text->c_str(), &v) != 0 || v == 0)
      return error(n, key, "must be a size such as \"64K\" or \"1M\"");
    return v;
  }
  // A file or directory the manifest names, relative to it.
  fs::path path(const std::string& p) const { return (root_ / p).lexically_normal(); }
  // An executable the manifest names: relative to it when it has a '/', else from PATH.
  Result<fs::path> executable(const toml::node& n, const std::string& key) const {
    auto text = string(n, key);
    if (!text) return text.error();
    if (text->empty()) return error(n, key, "must not be empty");
    fs::path p = text->find('/') == std::string::npos ? in_path(*text) : path(*text);
    std::error_code ec;
    if (p.empty() || !fs::exists(p, ec)) return error(n, key, "'" + *text + "' does not exist");
    if (!fs::is_regular_file(p, ec) || access(p.c_str(), X_OK) != 0)
      return error(n, key, "'" + *text + "' is not an executable file");
    return p;
  }
  Result<fs::path> existing(const toml::node& n, const std::string& key, bool directory) const {
    auto text = string(n, key);
    if (!text) return text.error();
    const fs::path p = path(*text);
    std::error_code ec;
    if (directory ? !fs::is_directory(p, ec) : !fs::is_regular_file(p, ec))
      return error(n, key, "'" + *text + "' is not " + (directory ? "a directory" : "a readable file"));
    return p;
  }

 private:
  static fs::path in_path(const std::string& name) {
    const char* env = std::getenv("PATH");
    std::istringstream dirs(env ? env : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty() && access((fs::path(dir) / name).c_str(), X_OK) == 0) return fs::path(dir) / name;
    return {};
  }

  fs::path file_, root_;
};

// Assigns a Result's value, or returns its error: the one shape of every key read.
#define FL_TRY(target, expr)                  \
  do {                                        \
    auto fl_read = (expr);                    \
    if (!fl_read) return fl_read.error();     \
    target = std::move(fl_read.value());      \
  } while (0)

Result<ExploreTable> read_explore(const Reader& in, const toml::table& t, const std::string& ctx) {
  if (auto e = in.only_keys(t, ctx, {"signal", "max_runs", "thread", "input", "process", "in"})) return *e;
  ExploreTable x;
  if (auto n = t.get("signal")) {
    FL_TRY(x.signal, in.string(*n, ctx + "signal"));
    auto signo = signal_number(x.signal);
    if (!signo) return in.error(*n, ctx + "signal", "'" + x.signal + "' is not a signal");
    if (auto why = uncatchable_signal(*signo)) return in.error(*n, ctx + "signal", *why);
    x.signo = *signo;
  }
  if (auto n = t.get("max_runs")) FL_TRY(x.max_runs, in.integer(*n, ctx + "max_runs", 2, 1000000));
  if (auto n = t.get("thread")) FL_TRY(x.thread, in.integer(*n, ctx + "thread", 0, 100000));
  if (auto n = t.get("input")) FL_TRY(x.input, in.existing(*n, ctx + "input", false));
  for (auto [key, field] : {std::pair{"process", &x.process}, {"in", &x.in_function}})
    if (auto n = t.get(key)) {
      FL_TRY(*field, in.string(*n, ctx + key));
      if (auto why = malloc_signal_word_problem(key, *field)) return in.error(*n, ctx + key, *why);
    }
  return x;
}

Result<StackTable> read_stack(const Reader& in, const toml::table& t, const std::string& ctx, const toml::node& at) {
  if (auto e = in.only_keys(t, ctx, {"open", "close", "leaf", "sep", "template", "generator", "shapes", "seed", "sizes",
                                     "shrink", "max_depth", "args"}))
    return *e;
  StackTable s;
  std::string tmpl;
  for (auto [key, field] : {std::pair{"open", &s.nesting.open}, {"close", &s.nesting.close}, {"leaf", &s.nesting.leaf},
                            {"sep", &s.nesting.sep}, {"template", &tmpl}, {"generator", &s.generator}, {"shrink", &s.shrink}})
    if (auto n = t.get(key)) FL_TRY(*field, in.string(*n, ctx + key));
  if (auto n = t.get("shapes")) FL_TRY(s.shapes, in.strings(*n, ctx + "shapes"));
  if (auto n = t.get("args")) FL_TRY(s.extra_args, in.strings(*n, ctx + "args"));
  if (auto n = t.get("seed")) FL_TRY(s.seed, in.integer(*n, ctx + "seed", 0, INT64_MAX));
  if (auto n = t.get("max_depth")) FL_TRY(s.max_depth, in.integer(*n, ctx + "max_depth", 2, 100000000));
  if (s.shrink != "main" && s.shrink != "threads" && s.shrink != "both")
    return in.error(*t.get("shrink"), ctx + "shrink", "must be main, threads or both");
  if (!s.generator.empty()) {
    if (s.generator != "nested-source")
      return in.error(*t.get("generator"), ctx + "generator", "the one generator is \"nested-source\"");
    if (!s.nesting.open.empty() || !s.nesting.close.empty() || t.get("template"))
      return in.error(at, ctx + "generator", "give either a generator or open/close (or template), not both");
    if (s.shapes.empty()) s.shapes = {"expr"};
    for (const auto& shape : s.shapes)
      if (!nested::shape_from_string(shape))
        return in.error(*t.get("shapes"), ctx + "shapes", "'" + shape + "' is not one of expr, block, generic, array, mixed");
  } else {
    if (const toml::node* n = t.get("template")) {
      if (t.get("open") || t.get("close")) return in.error(*n, ctx + "template", "give either a template or open/close, not both");
      auto split = nesting_from_template(tmpl, s.nesting.leaf, s.nesting.sep);
      if (!split) return in.error(*n, ctx + "template", split.error().message);
      s.nesting = split.value();
    }
    // One of them may be empty: a prefix chain such as `- - - 1` nests too.
    if (s.nesting.open.empty() && s.nesting.close.empty())
      return in.error(at, ctx.substr(0, ctx.size() - 1),
                      "needs open and close, or a template (or generator = \"nested-source\")");
    if (!s.shapes.empty()) return in.error(*t.get("shapes"), ctx + "shapes", "only with a generator");
    // The deepest input a curve may need must be one nest() makes.
    if (auto deepest = nesting_size(s.nesting, s.max_depth); !deepest)
      return in.error(t.get("max_depth") ? *t.get("max_depth") : at, ctx + "max_depth", deepest.error().message);
  }
  const toml::node* sizes = t.get("sizes");
  if (!sizes || !sizes->is_array() || sizes->as_array()->empty())
    return in.error(sizes ? *sizes : at, ctx + "sizes", "must be a non-empty array of sizes such as [\"64K\", \"1M\"]");
  for (const auto& e : *sizes->as_array()) {
    uint64_t v = 0;
    FL_TRY(v, in.size(e, ctx + "sizes"));
    s.sizes.push_back(v);
  }
  return s;
}

Result<ManifestTarget> read_target(const Reader& in, const toml::table& t, const toml::node& at) {
  ManifestTarget x;
  const toml::node* name = t.get("name");
  if (!name) return in.error(at, "target.name", "missing (every [[target]] needs a name)");
  FL_TRY(x.name, in.string(*name, "target.name"));
  if (!valid_target_name(x.name)) return in.error(*name, "target.name", "'" + x.name + "' must match [A-Za-z0-9_-]{1,64}");
  const std::string ctx = "target." + x.name + ".";
  if (auto e = in.only_keys(t, ctx, {"name", "run", "libfuzzer", "afl", "dict", "options", "seeds", "timeout", "profiles",
                                     "explore", "stack"}))
    return *e;
  const toml::node* run = t.get("run");
  if (!run) return in.error(at, ctx + "run", "missing (the command that runs one input, e.g. [\"build/prog\", \"@@\"])");
  FL_TRY(x.run, in.strings(*run, ctx + "run"));
  if (x.run.empty()) return in.error(*run, ctx + "run", "must not be empty");
  x.written_run = x.run;
  {
    auto program = in.executable(*run->as_array()->get(0), ctx + "run");
    if (!program) return program.error();
    x.run[0] = program->string();
  }
  for (auto [key, field] : {std::pair{"libfuzzer", &x.libfuzzer}, {"afl", &x.afl}})
    if (auto n = t.get(key)) FL_TRY(*field, in.executable(*n, ctx + key));
  if (auto n = t.get("dict")) FL_TRY(x.dict, in.existing(*n, ctx + "dict", false));
  if (auto n = t.get("options")) FL_TRY(x.options, in.existing(*n, ctx + "options", false));
  if (auto n = t.get("seeds")) FL_TRY(x.seeds, in.existing(*n, ctx + "seeds", true));
  if (auto n = t.get("timeout")) FL_TRY(x.timeout_seconds, in.seconds(*n, ctx + "timeout"));
  if (auto n = t.get("profiles")) FL_TRY(x.profiles, in.strings(*n, ctx + "profiles"));
  if (auto n = t.get("explore")) {
    if (!n->is_table()) return in.error(*n, ctx + "explore", "must be a table, e.g. { signal = \"SIGPROF\" }");
    FL_TRY(x.explore, read_explore(in, *n->as_table(), ctx + "explore."));
  }
  if (auto n = t.get("stack")) {
    if (!n->is_table()) return in.error(*n, ctx + "stack", "must be a table, e.g. { open = \"[\", close = \"]\", sizes = [\"1M\"] }");
    FL_TRY(x.stack, read_stack(in, *n->as_table(), ctx + "stack.", *n));
  }
  return x;
}

Result<FuzzProfile> read_profile(const Reader& in, const std::string& name, const toml::node& n) {
  const std::string ctx = "profile." + name + ".";
  if (!n.is_table()) return in.error(n, "profile." + name, "must be a table with engine and schedule");
  const toml::table& t = *n.as_table();
  if (auto e = in.only_keys(t, ctx, {"engine", "schedule"})) return *e;
  FuzzProfile p;
  p.name = name;
  const toml::node* engine = t.get("engine");
  if (!engine) return in.error(n, ctx + "engine", "missing (" + fuzz_engine_names() + ")");
  FL_TRY(p.engine, in.string(*engine, ctx + "engine"));
  if (!fuzz_engine_by_name(p.engine)) return in.error(*engine, ctx + "engine", "must be one of " + fuzz_engine_names());
  if (auto s = t.get("schedule")) {
    std::string line;
    FL_TRY(line, in.string(*s, ctx + "schedule"));
    auto parsed = Schedule::parse(line);
    if (!parsed) return in.error(*s, ctx + "schedule", parsed.error().message);
    p.schedule = parsed->canonical();
  }
  return p;
}

// Every name in a target's `profiles` is a profile; absent, it gets every
// profile whose engine it has a binary for.
std::optional<Error> resolve_profiles(const Reader& in, const toml::table& t, ManifestTarget& x,
                                      const std::map<std::string, FuzzProfile>& profiles) {
  if (const toml::node* listed = t.get("profiles")) {
    for (const auto& p : x.profiles) {
      auto it = profiles.find(p);
      if (it == profiles.end()) return in.error(*listed, "target." + x.name + ".profiles", "no profile named '" + p + "'");
      if (x.engine_binary(it->second.engine).empty())
        return in.error(*listed, "target." + x.name + ".profiles",
                        "profile '" + p + "' runs " + it->second.engine + ", and the target has no '" +
                            it->second.engine + "' binary");
    }
    return std::nullopt;
  }
  for (const auto& [name, p] : profiles)
    if (!x.engine_binary(p.engine).empty()) x.profiles.push_back(name);
  return std::nullopt;
}

}  // namespace

const fs::path& ManifestTarget::engine_binary(const std::string& engine) const {
  static const fs::path none;
  return engine == "libfuzzer" ? libfuzzer : engine == "afl" ? afl : none;
}

const ManifestTarget* Manifest::target(const std::string& n) const {
  for (const auto& t : targets)
    if (t.name == n) return &t;
  return nullptr;
}

const std::vector<FuzzProfile>& builtin_profiles() {
  static const std::vector<FuzzProfile> profiles = {
      {"plain", "libfuzzer", ""},
      {"small-stacks", "libfuzzer", Schedule::parse("stack main=160K threads=160K")->canonical()},
      // The program's own timers would make a heap-quarantine run differ from run to run.
      {"heap-quarantine", "afl", Schedule::parse("quarantine=64 ; timers off")->canonical()},
  };
  return profiles;
}

Result<Manifest> parse_manifest(const std::string& text, const fs::path& file) {
  Manifest m;
  m.file = fs::absolute(file).lexically_normal();
  m.root = m.file.parent_path();
  const Reader in(file, m.root);
  toml::table doc;
  try {
    doc = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    return Error{one_line(file.string() + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()))};
  }
  if (auto e = in.only_keys(doc, "", {"project", "target", "profile"})) return *e;
  m.name = m.root.filename().string();
  m.corpora = m.root / "corpora";
  if (const toml::node* project = doc.get("project")) {
    if (!project->is_table()) return in.error(*project, "project", "must be a table ([project])");
    if (auto e = in.only_keys(*project->as_table(), "project.", {"name", "corpora"})) return *e;
    if (auto n = project->as_table()->get("name")) {
      FL_TRY(m.name, in.string(*n, "project.name"));
      if (!valid_target_name(m.name)) return in.error(*n, "project.name", "must match [A-Za-z0-9_-]{1,64}");
    }
    if (auto n = project->as_table()->get("corpora")) {
      std::string c;
      FL_TRY(c, in.string(*n, "project.corpora"));
      m.corpora = in.path(c);
    }
  }
  for (const auto& p : builtin_profiles()) m.profiles[p.name] = p;
  if (const toml::node* profiles = doc.get("profile")) {
    if (!profiles->is_table()) return in.error(*profiles, "profile", "must be tables ([profile.NAME])");
    for (auto&& [key, value] : *profiles->as_table()) {
      const std::string name(key.str());
      if (!valid_target_name(name)) return in.error(key, "profile.", "a profile name must match [A-Za-z0-9_-]{1,64}");
      auto p = read_profile(in, name, value);
      if (!p) return p.error();
      m.profiles[name] = p.value();
    }
  }
  const toml::node* targets = doc.get("target");
  if (!targets) return Error{file.string() + ":1: key 'target': no [[target]] declared (each needs a name and a run command)"};
  if (!targets->is_array_of_tables()) return in.error(*targets, "target", "must be an array of tables ([[target]])");
  if (targets->as_array()->size() > kMaxTargets) return in.error(*targets, "target", "more than 1000 targets");
  std::set<std::string> names;
  for (const auto& node : *targets->as_array()) {
    auto t = read_target(in, *node.as_table(), node);
    if (!t) return t.error();
    if (!names.insert(t->name).second)
      return in.error(*node.as_table()->get("name"), "target.name", "duplicate target name '" + t->name + "'");
    if (auto e = resolve_profiles(in, *node.as_table(), t.value(), m.profiles)) return *e;
    m.targets.push_back(std::move(t.value()));
  }
  return m;
}

Result<Manifest> load_manifest(const fs::path& file) {
  // Non-blocking and checked before reading: a FIFO or a device named
  // faultline.toml must not hang us or feed us without end.
  const int fd = open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) close(fd);
    return Error{file.string() + ": cannot read the manifest" + (fd >= 0 ? " (not a regular file)" : "")};
  }
  std::string text(kMaxManifestBytes + 1, '\0');
  size_t got = 0;
  for (ssize_t n; got < text.size() && (n = read(fd, text.data() + got, text.size() - got)) > 0;) got += static_cast<size_t>(n);
  close(fd);
  text.resize(got);
  if (text.size() > kMaxManifestBytes) return Error{file.string() + ": larger than 1 MiB: not a manifest"};
  return parse_manifest(text, file);
}

std::optional<fs::path> manifest_here_or_above() {
  std::error_code cwd_error;
  for (fs::path dir = fs::current_path(cwd_error); !cwd_error && !dir.empty(); dir = dir.parent_path()) {
    std::error_code ec;  // a directory with none sets it: not an end to the walk
    if (fs::is_regular_file(dir / "faultline.toml", ec)) return dir / "faultline.toml";
    if (dir == dir.parent_path()) break;
  }
  return std::nullopt;
}

Result<Manifest> find_manifest(const std::optional<std::string>& project_option) {
  if (project_option) return load_manifest(*project_option);
  if (auto found = manifest_here_or_above()) return load_manifest(*found);
  return Error{
      "no faultline.toml here or above and no --project FILE: write one with `faultline init BUILD_DIR` (it finds "
      "your fuzz binaries), or by hand: [project] name = \"x\"; [[target]] name = \"prog\"; run = [\"build/prog\", \"@@\"]"};
}

}  // namespace faultline
