#!/usr/bin/env python3
"""Generate agent trajectories as JSON lines, modelled on the real ones.

The shapes, sizes and vocabularies are taken at run time from the public
trajectories in ../shared/data/trajectories (tau-bench airline, SWE-agent),
so that the generated corpus stresses fw the way real data does: a handful of
long system prompts shared by many records (what zstd and fw's row groups
exploit), tool calls with JSON-string arguments, JSON tool results, long code
observations, and text that is not trivially compressible.

Record n is a pure function of (seed, shape, small, n): its RNG is seeded from
those alone, so the output is deterministic, can be produced by any number of
worker processes, and --append --start K yields exactly the records a longer
run would have had at positions K... (new ids, same distributions).

Usage:
  gen_corpus.py --bytes 1G --shape mixed -o corpus.jsonl
  gen_corpus.py --records 1000000 --small -o small.jsonl
  gen_corpus.py --append 1000 --start 1000000 --small -o append.jsonl
  gen_corpus.py --relabel small.jsonl --count 1000 -o patch.jsonl --full-out upsert.jsonl
  gen_corpus.py --stats      # compare zstd -3 ratio of generated vs real data
"""

import argparse
import collections
import glob
import json
import multiprocessing
import os
import random
import re
import string
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data"))

ALNUM = string.ascii_uppercase + string.digits
ALNUM_LC = string.ascii_letters + string.digits

# How much of the text is real text reused (agents repeat themselves) and how
# much is new: tuned so that zstd -3 compresses the generated corpus about as
# well as the real tau-bench file (see --stats and docs/benchmarks.md).
P_SENT = 0.35       # a whole real sentence
P_SPAN = 0.85       # else, below this, a run of 3-14 consecutive real words
P_REAL_CODE = 0.6   # a run of consecutive real lines from SWE-agent observations

# Filled by load_model() in the parent before worker processes fork.
M = None


def die(msg):
    sys.stderr.write("gen_corpus: %s\n" % msg)
    sys.exit(1)


def parse_size(s):
    m = re.fullmatch(r"\s*([0-9.]+)\s*([kKmMgG]?)i?[bB]?\s*", s)
    if not m:
        raise argparse.ArgumentTypeError("bad size %r (use e.g. 20M, 1G, 1000000)" % s)
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


# --------------------------------------------------------------------------
# The model: empirical distributions read from the real trajectories
# --------------------------------------------------------------------------

class Model:
    pass


WORD_RE = re.compile(r"[A-Za-z][A-Za-z']*|[0-9]+|[.,:;?!$()\-/]")
IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{1,30}")
SENT_RE = re.compile(r"[^.?!\n]{12,200}[.?!]")


def _weights(counter, floor=1):
    items = [(w, c) for w, c in counter.items() if c >= floor]
    items.sort(key=lambda x: -x[1])
    words = [w for w, _ in items]
    cum, t = [], 0
    for _, c in items:
        t += c
        cum.append(t)
    return words, cum


def load_model(data_dir):
    tdir = os.path.join(data_dir, "trajectories")
    tau_path = os.path.join(tdir, "tau-bench", "gpt-4o-airline.json")
    swe_paths = sorted(glob.glob(os.path.join(tdir, "swe-agent", "*.traj")))
    if not os.path.exists(tau_path) or not swe_paths:
        die("real trajectories not found under %s (set FW_DATA to the shared data folder)" % data_dir)
    m = Model()
    tau = json.load(open(tau_path))
    swe = [json.load(open(p)) for p in swe_paths]
    m.tau, m.swe = tau, swe

    # --- tau-bench ---
    msgs = [x for r in tau for x in r["traj"]]
    m.tau_nmsgs = [len(r["traj"]) for r in tau]
    m.tau_user_len = [len(x["content"] or "") for x in msgs if x["role"] == "user"]
    m.tau_asst_len = [len(x["content"]) for x in msgs if x["role"] == "assistant" and x.get("content")]
    m.tau_tool_len = [len(x["content"] or "") for x in msgs if x["role"] == "tool"]
    asst = [x for x in msgs if x["role"] == "assistant"]
    m.tau_p_toolcall = sum(1 for x in asst if x.get("tool_calls")) / len(asst)
    tc = collections.Counter(x["tool_calls"][0]["function"]["name"] for x in asst if x.get("tool_calls"))
    m.tau_tools, m.tau_tools_cw = _weights(tc)
    m.tau_instr_len = [len(r["info"]["task"]["instruction"]) for r in tau]
    m.tau_system = tau[0]["traj"][0]["content"]
    m.tau_first_names = sorted({a["first_name"] for r in tau for act in r["info"]["task"]["actions"]
                                for a in act["kwargs"].get("passengers", [])} or {"Mia"})
    m.tau_last_names = sorted({a["last_name"] for r in tau for act in r["info"]["task"]["actions"]
                               for a in act["kwargs"].get("passengers", [])} or {"Li"})
    airports = set()
    for x in msgs:
        if x.get("tool_calls"):
            try:
                a = json.loads(x["tool_calls"][0]["function"]["arguments"])
            except ValueError:
                continue
            for k in ("origin", "destination"):
                if isinstance(a.get(k), str) and len(a[k]) == 3:
                    airports.add(a[k])
    m.airports = sorted(airports) or ["JFK", "SEA"]

    # --- swe-agent ---
    steps = [s for r in swe for s in r.get("trajectory", [])]
    m.swe_nsteps = [len(r["trajectory"]) for r in swe if r.get("trajectory")]
    m.swe_obs_len = [len(s["observation"]) for s in steps]
    m.swe_thought_len = [len(s["thought"]) for s in steps if s["thought"]]
    m.swe_actions = [s["action"] for s in steps if s["action"]]
    sysp = collections.OrderedDict()
    issues = []
    for r in swe:
        for x in r["history"]:
            if x["role"] == "system":
                sysp.setdefault(x["content"], None)
        first_user = next((x for x in r["history"] if x["role"] == "user"), None)
        if first_user:
            issues.append(first_user["content"] if isinstance(first_user["content"], str) else json.dumps(first_user["content"]))
    m.swe_system = list(sysp)
    m.swe_issue_len = [len(s) for s in issues]
    m.swe_subm_len = [len(r["info"].get("submission") or "") for r in swe if r.get("info")]

    # --- vocabularies: prose from messages, code identifiers from observations ---
    prose = []
    for x in msgs:
        if x["role"] in ("user", "assistant") and x.get("content"):
            prose.append(x["content"])
    for r in tau:
        prose.append(r["info"]["task"]["instruction"])
    for s in steps:
        prose.append(s["thought"])
    wc = collections.Counter()
    sents = []
    for t in prose:
        wc.update(WORD_RE.findall(t))
        sents.extend(s.strip() for s in SENT_RE.findall(t))
    m.words, m.words_cw = _weights(wc)
    m.stream = [w for t in prose for w in t.split()]
    m.obs_lines = [re.sub(r"^[0-9]+:", "", ln.rstrip("\r")) for s in steps for ln in s["observation"].split("\n")
                   if ln.strip() and len(ln) < 200]
    m.sents = sorted(set(sents))
    ic = collections.Counter()
    for s in steps:
        ic.update(IDENT_RE.findall(s["observation"]))
    m.idents, m.idents_cw = _weights(ic)
    m.tool_keys = sorted({k for x in msgs if x["role"] == "tool" and (x["content"] or "").startswith("{")
                          for k in re.findall(r'"([a-z_0-9]+)":', x["content"])})

    # A handful of distinct, long system prompts, each shared by many records:
    # the real ones plus policy revisions (another date line, a section moved).
    variants = [m.tau_system]
    rng = random.Random("fw-bench-system-prompts")
    paras = m.tau_system.split("\n\n")
    for i in range(3):
        p = list(paras)
        p[1] = "The current time is 2024-%02d-%02d %02d:00:00 EST." % (5 + i, 10 + 3 * i, 9 + i)
        j = rng.randrange(2, len(p) - 1)
        p.insert(rng.randrange(2, len(p) - 1), p.pop(j))
        variants.append("\n\n".join(p))
    m.tau_systems = variants
    # short ones for --small records: the first paragraph of each
    m.small_systems = [v.split("\n\n")[0] + "\n\n" + v.split("\n\n")[1] for v in variants] + \
                      [s[:s.find("\n\n")] if "\n\n" in s else s[:300] for s in m.swe_system]
    return m


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

def rid(rng, n=6, alphabet=ALNUM):
    return "".join(rng.choices(alphabet, k=n))


def prose(rng, n):
    """About n characters of agent-like prose: real sentences (agents repeat
    themselves) mixed with new sentences from the real vocabulary, with ids
    and numbers sprinkled in."""
    out, size = [], 0
    while size < n:
        r = rng.random()
        if r < P_SENT:
            s = rng.choice(M.sents)
        elif r < P_SPAN:
            i = rng.randrange(len(M.stream) - 16)
            s = " ".join(M.stream[i:i + rng.randint(3, 14)])
        else:
            k = rng.randint(5, 18)
            w = rng.choices(M.words, cum_weights=M.words_cw, k=k)
            if rng.random() < 0.5:
                w[rng.randrange(k)] = rng.choice((rid(rng), str(rng.randint(1, 9999)),
                                                  "%s_%s_%d" % (rng.choice(M.tau_first_names).lower(),
                                                                rng.choice(M.tau_last_names).lower(),
                                                                rng.randint(1000, 9999))))
            s = " ".join(w)
            s = s[:1].upper() + s[1:] + rng.choice(".?.!:.")
        out.append(s)
        size += len(s) + 1
    return " ".join(out)[:max(n, 1)]


def code(rng, n, numbered=False, start=1):
    lines, size, ln, indent = [], 0, start, 0
    while size < n:
        if rng.random() < P_REAL_CODE:
            i = rng.randrange(len(M.obs_lines) - 40)
            for s in M.obs_lines[i:i + rng.randint(3, 30)]:
                if numbered:
                    s = "%d:%s" % (ln, s)
                lines.append(s)
                size += len(s) + 1
                ln += 1
            continue
        r = rng.random()
        if r < 0.1:
            indent = max(0, indent - 4)
        elif r < 0.2:
            indent = min(16, indent + 4)
        k = rng.randint(1, 7)
        ids = rng.choices(M.idents, cum_weights=M.idents_cw, k=k)
        form = rng.random()
        if form < 0.3:
            s = "%s = %s(%s)" % (ids[0], ids[-1], ", ".join(ids[1:-1]))
        elif form < 0.45:
            s = "def %s(self, %s):" % (ids[0], ", ".join(ids[1:]) or "x")
        elif form < 0.55:
            s = "from %s import %s" % (".".join(ids[:2]), ids[-1])
        elif form < 0.65:
            s = "if %s is not None and %s > %d:" % (ids[0], ids[-1], rng.randint(0, 100))
        elif form < 0.75:
            s = "return %s.%s(%s)" % (ids[0], ids[-1], rng.randint(0, 1000))
        elif form < 0.85:
            s = "# " + prose(rng, rng.randint(20, 70))
        else:
            s = " ".join(ids)
        s = " " * indent + s
        if numbered:
            s = "%d:%s" % (ln, s)
        lines.append(s)
        size += len(s) + 1
        ln += 1
    return "\n".join(lines)[:n]


def tool_result(rng, name, n):
    """A JSON tool result body of about n characters, tau-bench style."""
    if n < 40:
        return rng.choice(["", "null", "122 + 121 = 243", "Transfer successful", "%d" % rng.randint(1, 999)])
    uid = "%s_%s_%d" % (rng.choice(M.tau_first_names).lower(), rng.choice(M.tau_last_names).lower(), rng.randint(1000, 9999))
    if name.startswith("search"):
        body = []
        while len(json.dumps(body)) < n:
            fn = "HAT%03d" % rng.randint(1, 300)
            o, d = rng.sample(M.airports, 2)
            body.append({"flight_number": fn, "origin": o, "destination": d,
                         "scheduled_departure_time_est": "%02d:00:00" % rng.randint(0, 23),
                         "scheduled_arrival_time_est": "%02d:%02d:00" % (rng.randint(0, 23), rng.choice((0, 30))),
                         "status": rng.choice(("available", "available", "delayed", "cancelled")),
                         "available_seats": {"basic_economy": rng.randint(0, 20), "economy": rng.randint(0, 20), "business": rng.randint(0, 20)},
                         "prices": {"basic_economy": rng.randint(50, 100), "economy": rng.randint(100, 200), "business": rng.randint(200, 500)}})
        return json.dumps(body)
    o, d = rng.sample(M.airports, 2)
    body = {"reservation_id": rid(rng), "user_id": uid, "origin": o, "destination": d,
            "flight_type": rng.choice(("one_way", "round_trip")),
            "cabin": rng.choice(("basic_economy", "economy", "business")),
            "flights": [], "passengers": [], "payment_history": [],
            "created_at": "2024-05-%02dT%02d:%02d:%02d" % (rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
            "total_baggages": rng.randint(0, 4), "nonfree_baggages": rng.randint(0, 2),
            "insurance": rng.choice(("yes", "no"))}
    while len(json.dumps(body)) < n:
        r = rng.random()
        if r < 0.4:
            body["flights"].append({"origin": rng.choice(M.airports), "destination": rng.choice(M.airports),
                                    "flight_number": "HAT%03d" % rng.randint(1, 300),
                                    "date": "2024-05-%02d" % rng.randint(1, 30), "price": rng.randint(50, 2000)})
        elif r < 0.7:
            body["passengers"].append({"first_name": rng.choice(M.tau_first_names), "last_name": rng.choice(M.tau_last_names),
                                       "dob": "19%02d-%02d-%02d" % (rng.randint(40, 99), rng.randint(1, 12), rng.randint(1, 28))})
        elif r < 0.9:
            body["payment_history"].append({"payment_id": "%s_%d" % (rng.choice(("credit_card", "gift_card", "certificate")), rng.randint(1000000, 9999999)),
                                            "amount": rng.randint(10, 3000)})
        else:
            k = rng.choice(M.tool_keys)
            if k not in body:
                body[k] = rng.choice((rid(rng), rng.randint(0, 10000), prose(rng, 40)))
            else:
                body["passengers"].append({"first_name": rng.choice(M.tau_first_names)})
    return json.dumps(body)


def tool_args(rng, name):
    if name == "think" or name == "transfer_to_human_agents":
        key = "thought" if name == "think" else "summary"
        return json.dumps({key: prose(rng, rng.randint(60, 400))})
    if name == "calculate":
        return json.dumps({"expression": "%d + %d * %d" % (rng.randint(1, 999), rng.randint(1, 99), rng.randint(1, 9))})
    if name.startswith("search"):
        o, d = rng.sample(M.airports, 2)
        return json.dumps({"origin": o, "destination": d, "date": "2024-05-%02d" % rng.randint(1, 30)})
    if name == "get_user_details":
        return json.dumps({"user_id": "%s_%s_%d" % (rng.choice(M.tau_first_names).lower(), rng.choice(M.tau_last_names).lower(), rng.randint(1000, 9999))})
    return json.dumps({"reservation_id": rid(rng)})


def call_id(rng):
    return "call_" + rid(rng, 24, ALNUM_LC)


def reward(rng):
    r = rng.random()
    if r < 0.08:
        return rng.choice((0.25, 0.5, 0.75, 0.8, 0.6666666666666666))
    return 1.0 if r < 0.50 else 0.0


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------

def tau_record(rng, n, small):
    domain = "airline" if rng.random() < 0.7 else "retail"
    if small:
        nmsgs = rng.randint(3, 5)
        system = rng.choice(M.small_systems[:4])
        cap = 160
    else:
        nmsgs = rng.choice(M.tau_nmsgs)
        system = rng.choice(M.tau_systems)
        cap = 1 << 30
    msgs = [{"role": "system", "content": system}]
    msgs.append({"role": "user", "content": prose(rng, min(cap, rng.choice(M.tau_user_len)))})
    tools_used = []
    while len(msgs) < nmsgs:
        if rng.random() < M.tau_p_toolcall:
            name = rng.choices(M.tau_tools, cum_weights=M.tau_tools_cw)[0]
            cid = call_id(rng)
            tools_used.append(name)
            msgs.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": cid, "type": "function", "function": {"name": name, "arguments": tool_args(rng, name) if not small else json.dumps({"reservation_id": rid(rng)})}}]})
            msgs.append({"role": "tool", "tool_call_id": cid, "name": name,
                         "content": tool_result(rng, name, min(cap * 2, rng.choice(M.tau_tool_len)))})
        else:
            msgs.append({"role": "assistant", "content": prose(rng, min(cap, rng.choice(M.tau_asst_len)))})
            if len(msgs) < nmsgs:
                msgs.append({"role": "user", "content": prose(rng, min(cap, rng.choice(M.tau_user_len)))})
    rw = reward(rng)
    uid = "%s_%s_%d" % (rng.choice(M.tau_first_names).lower(), rng.choice(M.tau_last_names).lower(), rng.randint(1000, 9999))
    task = {"domain": domain, "task_id": rng.randint(0, 499), "user_id": uid}
    if not small:
        task["instruction"] = "You are %s. " % uid + prose(rng, rng.choice(M.tau_instr_len))
        task["actions"] = [{"name": t, "kwargs": json.loads(tool_args(rng, t))} for t in tools_used[-2:]]
    outcome = {"r_actions": rw if rw in (0.0, 1.0) else 0.0, "num_messages": len(msgs),
               "termination": rng.choice(("user_stop", "user_stop", "transfer", "max_steps"))}
    if not small:
        outcome["gt_data_hash"] = "%064x" % rng.getrandbits(256)
        outcome["user_cost"] = round(rng.uniform(0.001, 0.02), 6)
    return {"id": "gen/%s/%d" % (domain, n), "source": "tau-bench/gpt-4o-%s" % domain,
            "model": rng.choice(("gpt-4o-2024-08-06", "gpt-4o-mini", "claude-3-5-sonnet")),
            "task": task, "messages": msgs, "reward": rw, "outcome": outcome,
            "tags": sorted(rng.sample(["tau", domain, "airline-v1" if domain == "airline" else "retail-v1", "gold", "review", "v2", "tool-use"], rng.randint(1, 4)))}


def swe_record(rng, n, small):
    domain = "swe" if rng.random() < 0.7 else "ctf"
    sysi = rng.randrange(len(M.swe_system))
    if small:
        system = M.small_systems[4 + sysi % (len(M.small_systems) - 4)]
        nsteps, cap = 1, 200
    else:
        system = M.swe_system[sysi]
        nsteps, cap = rng.choice(M.swe_nsteps), 1 << 30
    repo = rng.choice(("marshmallow-code/marshmallow", "django/django", "sympy/sympy", "psf/requests", "pallets/flask", "pydata/xarray"))
    inst = "%s-%d" % (repo.replace("/", "__"), rng.randint(100, 30000))
    issue = prose(rng, min(cap, rng.choice(M.swe_issue_len) // 3)) + "\n```python\n" + code(rng, min(cap, 300)) + "\n```\n"
    msgs = [{"role": "system", "content": system},
            {"role": "user", "content": "We're currently solving the following issue within our repository. Here's the issue text:\nISSUE:\n" + issue}]
    fc = rng.random() < 0.5
    for i in range(nsteps):
        thought = prose(rng, min(cap, rng.choice(M.swe_thought_len)))
        action = rng.choice(M.swe_actions)
        if action.startswith("edit"):
            action = "edit %d:%d\n%s\nend_of_edit" % (rng.randint(1, 900), rng.randint(1, 900), code(rng, min(cap, rng.randint(80, 600))))
        else:
            action = re.sub(r"[0-9]+", lambda _m: str(rng.randint(1, 2000)), action[:200])
        a = {"role": "assistant", "content": thought, "thought": thought, "action": action, "message_type": "action"}
        obs_len = min(cap, rng.choice(M.swe_obs_len))
        if rng.random() < 0.6:
            obs = "[File: /testbed/src/%s.py (%d lines total)]\n" % (rng.choice(M.idents), rng.randint(50, 3000)) + \
                  code(rng, obs_len, numbered=True, start=rng.randint(1, 1500))
        else:
            obs = prose(rng, obs_len // 2) + "\n" + code(rng, obs_len // 2)
        obs += "\n(Open file: /testbed/src/%s.py)\n(Current directory: /testbed)\nbash-$" % rng.choice(M.idents)
        if fc:
            cid = call_id(rng)
            a["tool_calls"] = [{"id": cid, "type": "function", "function": {"name": action.split(" ", 1)[0], "arguments": json.dumps({"command": action})}}]
            msgs.append(a)
            msgs.append({"role": "tool", "content": obs, "tool_call_ids": [cid], "message_type": "observation"})
        else:
            msgs.append(a)
            msgs.append({"role": "user", "content": obs, "message_type": "observation"})
    rw = reward(rng)
    sub = "" if small else "diff --git a/src/x.py b/src/x.py\n" + code(rng, rng.choice(M.swe_subm_len) or 200)
    return {"id": "gen/%s/%d" % (domain, n), "source": "swe-agent/%s" % rng.choice(("default", "function_calling", "xml_sys-env_window100")),
            "model": rng.choice(("gpt-4o-2024-08-06", "claude-3-5-sonnet", "gpt-4-turbo")),
            "task": {"repo": repo, "instance_id": inst, "base_commit": "%040x" % rng.getrandbits(160)},
            "messages": msgs, "reward": rw,
            "outcome": {"exit_status": rng.choice(("submitted", "submitted", "exit_cost", "early_exit")), "submission": sub,
                        "model_stats": {"instance_cost": round(rng.uniform(0.01, 3.0), 4), "tokens_sent": rng.randint(1000, 900000),
                                        "tokens_received": rng.randint(100, 20000), "api_calls": nsteps + 1}},
            "tags": sorted(rng.sample(["swe", domain, "python", "gold", "review", "replay", "v2"], rng.randint(1, 4)))}


TASKS_PER_BATCH = 16   # records come in batches of TASKS x TRIALS rollouts,
TRIALS = 4             # trial-major as in tau-bench's file (task 0..15, then again)
P_DIVERGE = 0.3        # chance that a rollout's message differs from its task's


def canonical(seed, shape, small, batch, task):
    """The reference rollout of one task: what its trials have in common."""
    rng = random.Random("%d/%s/%d/task/%d/%d" % (seed, shape, int(small), batch, task))
    if shape == "tau" or (shape == "mixed" and rng.random() < 0.75):
        return tau_record(rng, 0, small)
    return swe_record(rng, 0, small)


_canon_cache = collections.OrderedDict()


def make_record(seed, shape, small, n):
    batch, i = divmod(n, TASKS_PER_BATCH * TRIALS)
    trial, task = divmod(i, TASKS_PER_BATCH)
    key = (seed, shape, small, batch, task)
    canon = _canon_cache.get(key)
    if canon is None:
        canon = _canon_cache[key] = canonical(*key)
        if len(_canon_cache) > 4 * TASKS_PER_BATCH:
            _canon_cache.popitem(last=False)
    rng = random.Random("%d/%s/%d/%d" % (seed, shape, int(small), n))
    is_swe = canon["id"].startswith(("gen/swe/", "gen/ctf/"))
    cm = canon["messages"]
    keep = len(cm) if rng.random() < 0.7 else rng.randint(min(3, len(cm)), len(cm))
    msgs = [cm[0]]
    for m in cm[1:keep]:
        c = m.get("content")
        if c and rng.random() < P_DIVERGE:
            m = dict(m)
            if m["role"] == "tool" and not is_swe:
                m["content"] = tool_result(rng, m.get("name", "get_reservation_details"), len(c))
            elif is_swe and m["role"] != "assistant" and len(msgs) > 1:
                m["content"] = prose(rng, len(c) // 4) + "\n" + code(rng, len(c) * 3 // 4, numbered=rng.random() < 0.6, start=rng.randint(1, 1500))
            else:
                m["content"] = prose(rng, len(c))
                if "thought" in m:
                    m["thought"] = m["content"]
        msgs.append(m)
    rec = dict(canon)
    rec["id"] = "%s/%d" % (canon["id"].rsplit("/", 1)[0], n)
    rec["messages"] = msgs
    rec["reward"] = reward(rng)
    rec["outcome"] = dict(canon["outcome"])
    if "num_messages" in rec["outcome"]:
        rec["outcome"]["num_messages"] = len(msgs)
    rec["task"] = dict(canon["task"], trial=trial)
    rec["tags"] = sorted(set(canon["tags"]) | {"trial-%d" % trial})
    return rec


def _chunk(job):
    seed, shape, small, lo, hi = job
    return "".join(json.dumps(make_record(seed, shape, small, n), ensure_ascii=False) + "\n"
                   for n in range(lo, hi)).encode()


def generate(out, seed, shape, small, start, records, max_bytes, jobs):
    chunk = 64 if not small else 1024
    end = start + records if records is not None else None

    def jobs_iter():
        lo = start
        while end is None or lo < end:
            hi = lo + chunk if end is None else min(end, lo + chunk)
            yield (seed, shape, small, lo, hi)
            lo = hi

    written = nrec = 0
    pool = multiprocessing.Pool(jobs) if jobs > 1 else None
    try:
        it = pool.imap(_chunk, jobs_iter()) if pool else map(_chunk, jobs_iter())
        for buf in it:
            if max_bytes is not None and written + len(buf) > max_bytes:
                # finish on a record boundary, at or just past the target
                lines = buf.split(b"\n")[:-1]
                for ln in lines:
                    if written >= max_bytes:
                        break
                    out.write(ln + b"\n")
                    written += len(ln) + 1
                    nrec += 1
                break
            out.write(buf)
            written += len(buf)
            nrec += buf.count(b"\n")
            if max_bytes is not None and written >= max_bytes:
                break
    finally:
        if pool:
            pool.terminate()
    return nrec, written


# --------------------------------------------------------------------------
# Relabel: patch lines and the same records in full, with a new reward
# --------------------------------------------------------------------------

def relabel(path, count, seed, patch_out, full_out):
    rng = random.Random("relabel/%d" % seed)
    sample = []  # reservoir of (line number, line)
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if i < count:
                sample.append((i, line))
            else:
                j = rng.randint(0, i)
                if j < count:
                    sample[j] = (i, line)
    if len(sample) < count:
        die("%s has only %d records, asked to relabel %d" % (path, len(sample), count))
    sample.sort()
    for _, line in sample:
        rec = json.loads(line)
        old = rec.get("reward")
        new = rng.choice([r for r in (0.0, 1.0, 0.5, 0.75) if r != old])
        rec["reward"] = new
        patch_out.write((json.dumps({"id": rec["id"], "reward": new}) + "\n").encode())
        if full_out:
            full_out.write((json.dumps(rec, ensure_ascii=False) + "\n").encode())
    return count


# --------------------------------------------------------------------------
# --stats: how the generated data compares with the real data
# --------------------------------------------------------------------------

def zstd_ratio(data):
    p = subprocess.run(["zstd", "-3", "-T1", "-c", "-q"], input=data, stdout=subprocess.PIPE, check=True)
    return len(data) / len(p.stdout)


def stats(seed, jobs):
    import io
    tau_real = "".join(json.dumps(r) + "\n" for r in M.tau).encode()
    swe_real = "".join(json.dumps(r) + "\n" for r in M.swe).encode()
    print("real tau-bench as JSON lines: %d bytes, zstd -3 ratio %.2f" % (len(tau_real), zstd_ratio(tau_real)))
    print("real swe-agent as JSON lines: %d bytes, zstd -3 ratio %.2f" % (len(swe_real), zstd_ratio(swe_real)))
    print("real tau + swe:               %d bytes, zstd -3 ratio %.2f" % (len(tau_real + swe_real), zstd_ratio(tau_real + swe_real)))
    for shape, small, size in (("tau", False, 16 << 20), ("swe", False, 16 << 20), ("mixed", False, 32 << 20), ("mixed", True, 16 << 20)):
        b = io.BytesIO()
        t = time.time()
        n, w = generate(b, seed, shape, small, 0, None, size, jobs)
        dt = time.time() - t
        data = b.getvalue()
        lens = sorted(len(x) for x in data.split(b"\n")[:-1])
        print("generated %-5s%s %d records, %d bytes in %.1f s (%.1f MB/s, %d jobs); record bytes median %d, p90 %d; zstd -3 ratio %.2f"
              % (shape, " --small" if small else "        ", n, w, dt, w / dt / 1e6, jobs, lens[len(lens) // 2], lens[len(lens) * 9 // 10], zstd_ratio(data)))


def main():
    ap = argparse.ArgumentParser(description="Generate agent trajectories as JSON lines, modelled on real ones.")
    ap.add_argument("--records", type=int, help="number of records")
    ap.add_argument("--bytes", type=parse_size, help="stop at this many bytes (at a record boundary)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shape", choices=("tau", "swe", "mixed"), default="mixed")
    ap.add_argument("--small", action="store_true", help="records of about 1 KB (for the 1,000,000-record corpus)")
    ap.add_argument("--append", type=int, metavar="N", help="N new records, ids from --start")
    ap.add_argument("--start", type=int, default=0, help="number of the first record (its id is gen/<domain>/<start>)")
    ap.add_argument("--relabel", metavar="FILE", help="pick --count random records of FILE and give them a new reward")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--full-out", metavar="FILE", help="with --relabel: also write the changed records in full (upsert variant)")
    ap.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (output does not depend on it)")
    ap.add_argument("--data", default=os.environ.get("FW_DATA", DEFAULT_DATA), help="shared data folder (default $FW_DATA or ../shared/data)")
    ap.add_argument("--stats", action="store_true", help="measure speed and zstd -3 ratios, generated vs real")
    a = ap.parse_args()

    global M
    M = load_model(a.data)
    if a.stats:
        stats(a.seed, a.jobs)
        return
    out = sys.stdout.buffer if a.output == "-" else open(a.output, "wb")
    t = time.time()
    if a.relabel:
        full = open(a.full_out, "wb") if a.full_out else None
        n = relabel(a.relabel, a.count, a.seed, out, full)
        if full:
            full.close()
        sys.stderr.write("gen_corpus: relabelled %d records of %s\n" % (n, a.relabel))
    else:
        records = a.append if a.append is not None else a.records
        if records is None and a.bytes is None:
            die("say how much: --records N, --bytes B or --append N")
        n, w = generate(out, a.seed, a.shape, a.small, a.start, records, a.bytes, max(1, a.jobs))
        dt = time.time() - t
        sys.stderr.write("gen_corpus: %d records, %d bytes in %.1f s (%.1f MB/s)\n" % (n, w, dt, w / max(dt, 1e-9) / 1e6))
    if out is not sys.stdout.buffer:
        out.close()


if __name__ == "__main__":
    main()
