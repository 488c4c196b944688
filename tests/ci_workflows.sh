#!/usr/bin/env bash
# The CI wiring in docs/ci/, checked the way users run it.
#   ci_workflows.sh SOURCE_DIR BUILD_BIN_DIR SCRATCH_DIR
# (a) yamllint (strict: any warning fails) on docs/ci/github-nightly.yml and
#     docs/ci/gitlab-ci.yml, and their shape (nightly schedule, shard matrix,
#     SARIF upload per shard, corpora cache, JUnit report, gate last);
# (b) their commands, for real, in scratch copies of examples/listparse with
#     BUILD_BIN_DIR/faultline as $FAULTLINE and a short $FAULTLINE_BUDGET:
#     night 1 is the GitHub campaign job's local steps (FAULTLINE_LOCAL: "1")
#     as shards 1/2 and 2/2, then the merge job's; night 2 is the GitLab
#     faultline-nightly script as CI_NODE_INDEX 1 and 2 of 2, starting from
#     night 1's merged corpora (every reproducer must be replayed), then the
#     faultline-merge script; then both jobs again with a faultline that only
#     exits 0, 1 or 2: the job passes, fails at its gate, fails as an error.
# Needs yamllint and python3 with PyYAML (Debian: yamllint, python3-yaml).
# CI_WORKFLOWS_BUDGET (default 20) is the campaign budget of a shard, seconds.
set -eu

if [ $# -ne 3 ]; then
  echo "usage: ci_workflows.sh SOURCE_DIR BUILD_BIN_DIR SCRATCH_DIR" >&2
  exit 2
fi
fail() { echo "ci_workflows: FAIL: $*" >&2; exit 1; }
src=$(cd "$1" && pwd)
bin=$(cd "$2" && pwd)
scratch=$3
budget=${CI_WORKFLOWS_BUDGET:-20}
gh=$src/docs/ci/github-nightly.yml
gl=$src/docs/ci/gitlab-ci.yml
[ -x "$bin/faultline" ] || fail "$bin/faultline is not built"
command -v yamllint >/dev/null || fail "yamllint is not installed (Debian: apt-get install yamllint)"
python3 -c 'import yaml' 2>/dev/null || fail "python3 cannot import yaml (Debian: apt-get install python3-yaml)"
rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
started=$(date +%s)

# --- (a) lint: yamllint's default rules, lines up to 120 columns, `on:` as a key.
lint='{extends: default, rules: {line-length: {max: 120}, truthy: {check-keys: false}, document-start: disable}}'
yamllint -s -d "$lint" "$gh" "$gl" || fail "yamllint found problems in docs/ci/"
echo "ci_workflows: yamllint -s: docs/ci/github-nightly.yml docs/ci/gitlab-ci.yml clean"

# --- The runner: a GitHub job's local steps, or a GitLab job's script, as CI runs them.
cat >"$scratch/ci.py" <<'PY'
"""Runs docs/ci's jobs outside CI (see ci_workflows.sh)."""
import json, os, re, subprocess, sys
import xml.etree.ElementTree as ET
import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def die(msg):
    print("ci_workflows: " + msg, file=sys.stderr)
    sys.exit(99)


def text(v):
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def options(args):
    opts = {"matrix": {}, "env": {}, "steps": None, "skip": set(), "output": {}}
    it = iter(args)
    for a in it:
        if a in ("--matrix", "--env", "--output"):
            k, _, v = next(it).partition("=")
            opts[a[2:]][k] = v
        elif a == "--steps":
            opts["steps"] = next(it).split(",")
        elif a == "--skip":
            opts["skip"] = set(next(it).split(","))
        else:
            die("unknown option " + a)
    return opts


def local_steps(job):
    return [s for s in job.get("steps", []) if text((s.get("env") or {}).get("FAULTLINE_LOCAL", "")) == "1"]


def gh(path, job_id, workdir, args):
    """The job's local steps in order: env (workflow, job, step), ${{ }} replaced, its shell."""
    opts = options(args)
    wf = yaml.safe_load(open(path))
    job = wf["jobs"].get(job_id) or die(f"{path}: no job {job_id}")
    shell = ((job.get("defaults") or {}).get("run") or {}).get("shell")
    argv = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], "sh": ["sh", "-e"]}.get(shell)
    argv or die(f"{path}: job {job_id} must set defaults.run.shell to bash or sh (got {shell!r})")
    dims = ((job.get("strategy") or {}).get("matrix")) or {}
    total = 1
    for name, values in dims.items():
        total *= len(values)
        if name not in opts["matrix"]:
            die(f"job {job_id}: give --matrix {name}=VALUE")
        if opts["matrix"][name] not in [text(v) for v in values]:
            die(f"job {job_id}: matrix.{name}={opts['matrix'][name]} is not one of {values}")
    store = os.path.join(workdir, ".ci-outputs.json")
    outputs = json.load(open(store)) if os.path.exists(store) else {}
    for key, v in opts["output"].items():
        sid, _, name = key.partition(".")
        outputs.setdefault(sid, {})[name] = v
    steps = local_steps(job)
    steps or die(f"job {job_id}: no step marked FAULTLINE_LOCAL: \"1\"")

    def resolve(s, envctx, where):
        def one(m):
            e = m.group(1)
            if (g := re.fullmatch(r"matrix\.([\w-]+)", e)) and g.group(1) in opts["matrix"]:
                return opts["matrix"][g.group(1)]
            if e == "strategy.job-total":
                return str(total)
            if g := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", e):
                return outputs.get(g.group(1), {}).get(g.group(2), "")
            if g := re.fullmatch(r"env\.(\w+)", e):
                return envctx.get(g.group(1), "")
            die(f"{where}: ${{{{ {e} }}}} is not one a local step may use (matrix, strategy.job-total, steps, env)")
        return EXPR.sub(one, text(s))

    def env_of(step):
        ctx = {}
        for layer in (wf.get("env") or {}, job.get("env") or {}):
            ctx.update({k: resolve(v, ctx, f"{job_id} env {k}") for k, v in layer.items()})
        own = {k: resolve(v, ctx, f"step {step.get('id')} env {k}") for k, v in (step.get("env") or {}).items()}
        return {**ctx, **own}

    for step in steps:  # every local step is checked, even one not run now
        step.get("id") or die(f"job {job_id}: a local step has no id: {step.get('name')}")
        "run" in step or die(f"job {job_id}: local step {step['id']} has no run:")
        env_of(step)
        resolve(step["run"], env_of(step), f"step {step['id']}")
    ids = [s["id"] for s in steps]
    for sid in (opts["steps"] or []) + sorted(opts["skip"]):
        sid in ids or die(f"job {job_id}: no local step {sid} (local steps: {ids})")
    for step in steps:
        sid = step["id"]
        if (opts["steps"] is not None and sid not in opts["steps"]) or sid in opts["skip"]:
            continue
        env = {**os.environ, **env_of(step), **opts["env"]}
        out_file = os.path.join(workdir, f".ci-output-{sid}")
        open(out_file, "w").close()
        env.update(GITHUB_WORKSPACE=workdir, GITHUB_OUTPUT=out_file, RUNNER_TEMP=os.path.join(workdir, ".ci-tmp"),
                   GITHUB_STEP_SUMMARY=os.path.join(workdir, ".ci-summary.md"))
        os.makedirs(env["RUNNER_TEMP"], exist_ok=True)
        script = os.path.join(workdir, f".ci-step-{sid}.sh")
        with open(script, "w") as f:
            f.write(resolve(step["run"], env_of(step), f"step {sid}"))
        cwd = os.path.join(workdir, step.get("working-directory", "."))
        print(f"ci_workflows: [{job_id}] step {sid}: {' '.join(argv)} {script}", flush=True)
        rc = subprocess.run(argv + [script], cwd=cwd, env=env).returncode
        got = {}
        lines = iter(open(out_file).read().splitlines())
        for line in lines:  # name=value, or name<<DELIMITER ... DELIMITER
            if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
                name, _, delim = line.partition("<<")
                got[name] = "\n".join(iter(lambda: next(lines), delim))
            elif "=" in line:
                name, _, v = line.partition("=")
                got[name] = v
        outputs[sid] = got
        json.dump(outputs, open(store, "w"))
        if rc != 0:
            print(f"ci_workflows: [{job_id}] step {sid} exited {rc}", flush=True)
            sys.exit(rc)
    print(f"ci_workflows: [{job_id}] local steps passed", flush=True)


def flatten(items):
    for i in items:
        yield from (flatten(i) if isinstance(i, list) else [i])


def gl(path, job_id, workdir, args):
    """The job's script, lines in order in one bash -eo pipefail, with its variables."""
    opts = options(args)
    doc = yaml.safe_load(open(path))
    job = doc.get(job_id) or die(f"{path}: no job {job_id}")
    env = dict(os.environ)
    for layer in (doc.get("variables") or {}, job.get("variables") or {}):
        env.update({k: text(v["value"] if isinstance(v, dict) else v) for k, v in layer.items()})
    env.update(CI_PROJECT_DIR=workdir, **opts["env"])
    script = os.path.join(workdir, f".ci-{job_id}.sh")
    with open(script, "w") as f:
        f.write("\n".join(text(line) for line in flatten(job["script"])) + "\n")
    print(f"ci_workflows: [{job_id}] script: bash --noprofile --norc -eo pipefail {script}", flush=True)
    rc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=workdir, env=env).returncode
    print(f"ci_workflows: [{job_id}] script exited {rc}", flush=True)
    sys.exit(rc)


def structure(gh_path, gl_path):
    """What the issue asks of each file, beyond its commands."""
    problems = []

    def need(ok, what):
        if not ok:
            problems.append(what)

    wf = yaml.safe_load(open(gh_path))
    on = wf.get(True, wf.get("on")) or {}  # YAML 1.1 reads the key `on` as true
    need(any("cron" in s for s in on.get("schedule") or []), "github: on.schedule with a cron")
    need("workflow_dispatch" in on, "github: on.workflow_dispatch")
    need({"FAULTLINE", "FAULTLINE_BUDGET"} <= set(wf.get("env") or {}), "github: env FAULTLINE and FAULTLINE_BUDGET")
    jobs = wf.get("jobs") or {}
    camp = jobs.get("campaign") or {}
    shards = ((camp.get("strategy") or {}).get("matrix") or {}).get("shard") or []
    need(len(shards) >= 2, "github: campaign's strategy.matrix.shard with 2 or more shards")
    steps = camp.get("steps") or []
    uses = lambda s, a: text(s.get("uses", "")).startswith(a + "@")
    sarif = [s for s in steps if uses(s, "github/codeql-action/upload-sarif")]
    need(sarif and "matrix.shard" in text((sarif[0].get("with") or {}).get("category")),
         "github: upload-sarif with a category per shard")
    cache = [s for s in steps if uses(s, "actions/cache/restore") or uses(s, "actions/cache")]
    need(cache and "github.run_id" in text(cache[0]["with"].get("key")) and cache[0]["with"].get("restore-keys"),
         "github: corpora restored by actions/cache, key with github.run_id, restore-keys prefix")
    need(any(uses(s, "actions/upload-artifact") and "junit" in text(s.get("with")) or
             uses(s, "mikepenz/action-junit-report") for s in steps), "github: junit.xml published")
    local = [s.get("id") for s in local_steps(camp)]
    need("campaign" in local and "gate" in local, "github: local steps campaign and gate")
    need(steps and steps[-1].get("id") == "gate", "github: the gate is the campaign job's last step")
    camp_step = next((s for s in steps if s.get("id") == "campaign"), {})
    need("--shard" in text(camp_step.get("run")) and "matrix.shard" in text(camp_step),
         "github: the campaign step runs --shard with matrix.shard")
    merge = next((j for j in jobs.values() if j is not camp and "campaign" in text(j.get("needs"))), None)
    need(merge and local_steps(merge) and any(uses(s, "actions/download-artifact") for s in merge["steps"]),
         "github: a merge job (needs: campaign) that downloads the shards' corpora and merges them locally")

    doc = yaml.safe_load(open(gl_path))
    need({"FAULTLINE", "FAULTLINE_BUDGET"} <= set(doc.get("variables") or {}),
         "gitlab: variables FAULTLINE and FAULTLINE_BUDGET")
    night = doc.get("faultline-nightly") or {}
    need(any('$CI_PIPELINE_SOURCE == "schedule"' in text(r.get("if")) for r in night.get("rules") or []),
         "gitlab: faultline-nightly rules on $CI_PIPELINE_SOURCE == \"schedule\"")
    need(isinstance(night.get("parallel"), int) and night["parallel"] >= 2, "gitlab: parallel: 2 or more")
    script = "\n".join(text(x) for x in flatten(night.get("script") or []))
    need("CI_NODE_INDEX" in script and "CI_NODE_TOTAL" in script and "--shard" in script,
         "gitlab: --shard from $CI_NODE_INDEX/$CI_NODE_TOTAL")
    need((night.get("cache") or {}).get("paths"), "gitlab: a corpora cache")
    art = night.get("artifacts") or {}
    need(text((art.get("reports") or {}).get("junit")).endswith("junit.xml"), "gitlab: artifacts:reports:junit")
    need(art.get("when") == "always" and any(text(p).rstrip("/") == "faultline-out" for p in art.get("paths") or []),
         "gitlab: the reports directory (SARIF, report.html) as artifacts, when: always")
    merge = doc.get("faultline-merge") or {}
    need((merge.get("cache") or {}).get("policy") == "pull-push" and (night.get("cache") or {}).get("policy") == "pull",
         "gitlab: the shards pull the cache, faultline-merge pulls and pushes it")
    if problems:
        die("docs/ci is missing:\n  " + "\n  ".join(problems))
    print(f"ci_workflows: shape: github {len(shards)} shards, local steps {local} + merge; "
          f"gitlab parallel {night['parallel']} + faultline-merge")


def reports(out, shard):
    """The night's reports exist and parse; prints new_crashes regressions_not_reproducing errors."""
    for name in ("report.json", "report.sarif", "junit.xml", "report.html"):
        os.path.isfile(os.path.join(out, name)) or die(f"{out}/{name} was not written")
    rep = json.load(open(os.path.join(out, "report.json")))
    rep.get("shard") == shard or die(f"{out}/report.json: shard {rep.get('shard')!r}, not {shard}")
    sarif = json.load(open(os.path.join(out, "report.sarif")))
    sarif.get("version") == "2.1.0" and sarif.get("runs") or die(f"{out}/report.sarif is not SARIF 2.1.0")
    ET.parse(os.path.join(out, "junit.xml")).getroot().tag == "testsuites" or die(f"{out}/junit.xml: no testsuites")
    print(rep["new_crashes"], rep["regressions_not_reproducing"], rep["errors"])


def replayed(paths):
    """target/item of every regression the reports replayed, and how it went (stderr)."""
    for p in paths:
        for row in json.load(open(p))["rows"]:
            if row.get("kind") == "regression":
                print(f"{row['target']}/{row['item']}")
                print(f"ci_workflows:   {p}: {row['target']}/{row['item']}: {row['status']}", file=sys.stderr)


cmd, rest = sys.argv[1], sys.argv[2:]
if cmd == "gh":
    gh(rest[0], rest[1], rest[2], rest[3:])
elif cmd == "gl":
    gl(rest[0], rest[1], rest[2], rest[3:])
elif cmd == "structure":
    structure(*rest)
elif cmd == "reports":
    reports(*rest)
elif cmd == "replayed":
    replayed(rest)
else:
    die("unknown command " + cmd)
PY
ci() { python3 "$scratch/ci.py" "$@"; }
ci structure "$gh" "$gl" || fail "docs/ci does not have the shape the issue asks for"

# --- (b) the commands, for real.
# A workspace is the user's checked-out repository: examples/listparse, as in
# git (no build trees, no stored reproducers or fuzz corpora).
workspace() {
  mkdir -p "$1/examples"
  cp -R "$src/examples/listparse" "$1/examples/"
  (cd "$1/examples/listparse" && rm -rf build build-fuzz build-afl corpora/*/regressions corpora/*/corpus corpora/.faultline)
}
# target/name of every reproducer under a corpora directory.
repros() {
  [ -d "$1" ] || return 0
  find "$1" -mindepth 3 -maxdepth 3 -path "$1/*/regressions/*" -type d | awk -F/ '{print $(NF-2) "/" $NF}' | sort
}
# Runs "$@" in the background, output to log $1; `finish` waits and fails on the first that failed.
jobs_started=()
start() { local log=$1; shift; "$@" >"$log" 2>&1 & jobs_started+=("$!:$log"); }
finish() {
  local j rc=0
  for j in "${jobs_started[@]}"; do
    wait "${j%%:*}" || { rc=$?; cat "${j#*:}" >&2; fail "${j#*:} exited $rc"; }
  done
  jobs_started=()
}
corp=examples/listparse/corpora  # the workflows' FAULTLINE_CORPORA
real=(--env "FAULTLINE=$bin/faultline" --env "FAULTLINE_BUDGET=$budget")

# Night 1 on GitHub: two shards of the campaign job, side by side.
for k in 1 2; do
  workspace "$scratch/gh$k"
  start "$scratch/gh$k.log" ci gh "$gh" campaign "$scratch/gh$k" --matrix shard=$k --skip gate "${real[@]}"
done
finish
for k in 1 2; do
  w=$scratch/gh$k
  read -r new notrepro errors < <(ci reports "$w/faultline-out" "$k/2") || fail "shard $k/2's reports"
  code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["campaign"]["code"])' "$w/.ci-outputs.json")
  echo "ci_workflows: github shard $k/2: campaign exited $code (new $new, not reproducing $notrepro, errors $errors)"
  case $code in 0 | 1) ;; *) cat "$scratch/gh$k.log" >&2; fail "shard $k/2: faultline campaign exited $code" ;; esac
  [ "$new$notrepro" = 00 ] || [ "$code" = 1 ] || fail "shard $k/2: report.json has new crashes, yet exit $code"
  # faultline-new/ holds exactly what the night stored (it started empty).
  [ "$(repros "$w/faultline-new")" = "$(repros "$w/$corp")" ] || fail "shard $k/2: faultline-new/ is not what was stored"
  [ "$(repros "$w/faultline-shard")" = "$(repros "$w/$corp")" ] || fail "shard $k/2: faultline-shard/ lacks reproducers"
  # The gate on the real exit code.
  rc=0
  ci gh "$gh" campaign "$w" --matrix shard=$k --steps gate >"$scratch/gh$k-gate.log" 2>&1 || rc=$?
  [ "$rc" = "$code" ] || { cat "$scratch/gh$k-gate.log" >&2; fail "shard $k/2: the gate gave $rc for exit $code"; }
done
night1=$( (repros "$scratch/gh1/$corp"; repros "$scratch/gh2/$corp") | sort -u)
[ -n "$night1" ] || fail "night 1 stored no reproducer (listparse's stack bug is found in seconds)"
echo "ci_workflows: night 1 stored $(echo "$night1" | wc -l) reproducer(s): $(echo "$night1" | tr "\n" " ")"

# The merge job: the cache it restores (here only a reproducer of an older
# night that no shard has) and the shards' corpora artifacts, one directory each.
m=$scratch/gh-merge
older=listparse/regressions/abort-0000000000000000
mkdir -p "$m/$corp/$older"
echo older >"$m/$corp/$older/input"
for k in 1 2; do
  mkdir -p "$m/faultline-shards/faultline-corpora-shard-$k"
  cp -R "$scratch/gh$k/faultline-shard/." "$m/faultline-shards/faultline-corpora-shard-$k/"
done
ci gh "$gh" merge "$m" >"$scratch/gh-merge.log" 2>&1 || { cat "$scratch/gh-merge.log" >&2; fail "the merge job"; }
[ "$(repros "$m/$corp")" = "$( (echo "$night1"; echo listparse/abort-0000000000000000) | sort)" ] ||
  fail "the merged corpora are not the restored cache + the shards' corpora"
rm -r "${m:?}/$corp/$older"  # not a real reproducer: night 2 would replay it

# Night 2 on GitLab, from night 1's merged corpora as its cache: two shards.
for k in 1 2; do
  workspace "$scratch/gl$k"
  mkdir -p "$scratch/gl$k/.faultline-cache"
  cp -R "$m/$corp/." "$scratch/gl$k/.faultline-cache/"
done
rcs=()
for k in 1 2; do
  ( rc=0
    ci gl "$gl" faultline-nightly "$scratch/gl$k" --env CI_PIPELINE_SOURCE=schedule \
      --env CI_NODE_INDEX=$k --env CI_NODE_TOTAL=2 "${real[@]}" || rc=$?
    echo "$rc" >"$scratch/gl$k.rc" ) >"$scratch/gl$k.log" 2>&1 &
  rcs+=($!)
done
wait "${rcs[@]}"
for k in 1 2; do
  w=$scratch/gl$k
  rc=$(cat "$w.rc")
  read -r new notrepro errors < <(ci reports "$w/faultline-out" "$k/2") || { cat "$w.log" >&2; fail "gitlab shard $k/2's reports"; }
  echo "ci_workflows: gitlab shard $k/2: job exited $rc (new $new, not reproducing $notrepro, errors $errors)"
  case $rc in 0 | 1) ;; *) cat "$w.log" >&2; fail "gitlab shard $k/2: the job exited $rc" ;; esac
  if [ "$new$notrepro$errors" = 000 ]; then [ "$rc" = 0 ] || fail "gitlab shard $k/2: clean report, job exit $rc"
  else [ "$rc" != 0 ] || fail "gitlab shard $k/2: report.json has problems, yet the job passed"; fi
  grep -q "faultline campaign --shard $k/2 exited $rc" "$w.log" || fail "gitlab shard $k/2: its log does not say how the campaign exited"
  night2=$( (echo "$night1"; repros "$w/faultline-new") | sort -u)
  [ "$(repros "$w/faultline-shard")" = "$night2" ] || fail "gitlab shard $k/2: faultline-shard/ is not cache + new"
done
replays=$(ci replayed "$scratch/gl1/faultline-out/report.json" "$scratch/gl2/faultline-out/report.json" | sort)
[ "$replays" = "$night1" ] || fail "night 2 did not replay night 1's reproducers: replayed '$replays'"
echo "ci_workflows: night 2 replayed all $(echo "$night1" | wc -l) reproducer(s) of night 1 across its shards"

# faultline-merge: the cache it pulls (here only a reproducer of an older
# night that no shard has) and every shard's faultline-shard/ unpacked into one.
m=$scratch/gl-merge
mkdir -p "$m/.faultline-cache/$older" "$m/faultline-shard"
echo older >"$m/.faultline-cache/$older/input"
for k in 1 2; do cp -R "$scratch/gl$k/faultline-shard/." "$m/faultline-shard/"; done
ci gl "$gl" faultline-merge "$m" --env CI_PIPELINE_SOURCE=schedule >"$scratch/gl-merge.log" 2>&1 ||
  { cat "$scratch/gl-merge.log" >&2; fail "the faultline-merge job"; }
want=$( (repros "$scratch/gl1/faultline-shard"; repros "$scratch/gl2/faultline-shard"; echo listparse/abort-0000000000000000) |
  sort -u)
[ "$(repros "$m/.faultline-cache")" = "$want" ] || fail "faultline-merge's cache is not its old cache + the shards' corpora"

# The gates: both jobs whole, with a faultline that only exits 0, 1 or 2.
cat >"$scratch/fake-faultline" <<'SH'
#!/bin/sh
echo "fake faultline $*"
exit "$FAKE_CODE"
SH
chmod +x "$scratch/fake-faultline"
for code in 0 1 2; do
  fake=(--env "FAULTLINE=$scratch/fake-faultline" --env "FAKE_CODE=$code" --env FAULTLINE_BUDGET=1)
  log=$scratch/gh-fake$code.log
  rm -f "$scratch/gh1/.ci-outputs.json"
  rc=0
  ci gh "$gh" campaign "$scratch/gh1" --matrix shard=1 "${fake[@]}" >"$log" 2>&1 || rc=$?
  [ "$rc" = "$code" ] || { cat "$log" >&2; fail "github job with faultline exiting $code: exit $rc"; }
  if [ "$code" != 0 ]; then
    grep -q "step gate exited $code" "$log" || { cat "$log" >&2; fail "github: exit $code did not fail at the gate"; }
    grep -q "::error title=faultline" "$log" || fail "github: the gate's failure has no ::error message"
  fi
  log=$scratch/gl-fake$code.log
  rc=0
  ci gl "$gl" faultline-nightly "$scratch/gl1" --env CI_PIPELINE_SOURCE=schedule --env CI_NODE_INDEX=1 \
    --env CI_NODE_TOTAL=2 "${fake[@]}" >"$log" 2>&1 || rc=$?
  [ "$rc" = "$code" ] || { cat "$log" >&2; fail "gitlab job with faultline exiting $code: exit $rc"; }
  case $code in
    1) grep -q "FAILED: new crash" "$log" || fail "gitlab: exit 1 without the gate's message" ;;
    2) grep -q "ERROR: faultline campaign failed" "$log" || fail "gitlab: exit 2 without the gate's message" ;;
  esac
  echo "ci_workflows: faultline exit $code: github job exit $code, gitlab job exit $code"
done

echo "ci_workflows: passed in $(($(date +%s) - started)) s (budget $budget s a shard)"
echo "1 passed, 0 failed"
